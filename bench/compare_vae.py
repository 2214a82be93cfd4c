"""genmodels' MLP VAE and MLP GAN against PyTorch (CPU) and JAX (CPU): same architecture, same
batch size (128), same data (MNIST scaled to [0, 1]), 2 threads. Run by bench/run_vae.sh.

VAE 784-400-20-400-784 (ReLU, Bernoulli cross-entropy on grey pixels, analytic KL, Adam 1e-3):
one epoch of 60,000 images, then the single-sample ELBO per test image.
GAN 64-256-256-784 (ReLU, sigmoid) / 784-256-256-1 (leaky ReLU 0.2), non-saturating loss,
Adam 2e-4 (β₁ 0.5): one epoch = one discriminator and one generator step per batch of real
images, fresh noise for each.
"""
import argparse, gzip, json, os, subprocess, sys, time
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST = os.path.join(ROOT, "data", "mnist")


def idx_images(name):
    with gzip.open(os.path.join(MNIST, name)) as f:
        b = f.read()
    n, h, w = (int.from_bytes(b[i:i + 4], "big") for i in (4, 8, 12))
    return (np.frombuffer(b, np.uint8, offset=16).reshape(n, h * w) / 255.0).astype(np.float32)


def torch_vae(x, xt, epochs, seed):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(2)
    torch.manual_seed(seed)

    class V(nn.Module):
        def __init__(s):
            super().__init__()
            s.e1, s.mu, s.lv = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
            s.d1, s.d2 = nn.Linear(20, 400), nn.Linear(400, 784)

        def terms(s, xb):
            h = F.relu(s.e1(xb))
            mu, lv = s.mu(h), s.lv(h)
            z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
            logits = s.d2(F.relu(s.d1(z)))
            rec = F.binary_cross_entropy_with_logits(logits, xb, reduction="none").sum(1)
            kl = 0.5 * (mu * mu + lv.exp() - lv - 1).sum(1)
            return rec, kl

    m = V()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    X = torch.from_numpy(x)
    secs = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(X))
        for i in range(0, len(X), 128):
            xb = X[perm[i:i + 128]]
            rec, kl = m.terms(xb)
            loss = (rec + kl).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        secs.append(time.perf_counter() - t0)
    with torch.no_grad():
        rec, kl = m.terms(torch.from_numpy(xt))
        elbo = float((-rec - kl).mean())
    return secs, elbo


def torch_gan(x, epochs, seed):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(2)
    torch.manual_seed(seed)
    G = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())
    D = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))
    og = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    od = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    X = torch.from_numpy(x)
    secs = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(X))
        for i in range(0, len(X), 128):
            xb = X[perm[i:i + 128]]
            b = len(xb)
            fake = G(torch.randn(b, 64)).detach()
            ld = (F.softplus(-D(xb)) + F.softplus(D(fake))).mean()
            od.zero_grad(); ld.backward(); od.step()
            lg = F.softplus(-D(G(torch.randn(b, 64)))).mean()
            og.zero_grad(); lg.backward(); og.step()
        secs.append(time.perf_counter() - t0)
    return secs


def jax_models():
    import jax
    import jax.numpy as jnp

    def dense(key, i, o):
        k = 1 / np.sqrt(i)
        k1, k2 = jax.random.split(key)
        return (jax.random.uniform(k1, (i, o), minval=-k, maxval=k), jax.random.uniform(k2, (o,), minval=-k, maxval=k))

    def adam(lr, b1=0.9, b2=0.999, eps=1e-8):
        def init(p):
            z = jax.tree_util.tree_map(jnp.zeros_like, p)
            return (z, z, 0)

        def update(g, st, p):
            m, v, t = st
            t = t + 1
            m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, g)
            v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, g)
            p = jax.tree_util.tree_map(lambda p, m, v: p - lr * (m / (1 - b1 ** t)) / (jnp.sqrt(v / (1 - b2 ** t)) + eps), p, m, v)
            return p, (m, v, t)
        return init, update

    return jax, jnp, dense, adam


def jax_vae(x, xt, epochs, seed):
    jax, jnp, dense, adam = jax_models()
    ks = jax.random.split(jax.random.PRNGKey(seed), 6)
    p = [dense(ks[0], 784, 400), dense(ks[1], 400, 20), dense(ks[2], 400, 20), dense(ks[3], 20, 400), dense(ks[4], 400, 784)]

    def terms(p, xb, key):
        (w1, b1), (wm, bm), (wl, bl), (w3, b3), (w4, b4) = p
        h = jax.nn.relu(xb @ w1 + b1)
        mu, lv = h @ wm + bm, h @ wl + bl
        z = mu + jnp.exp(0.5 * lv) * jax.random.normal(key, mu.shape)
        lg = jax.nn.relu(z @ w3 + b3) @ w4 + b4
        rec = (jax.nn.softplus(lg) - xb * lg).sum(1)
        kl = 0.5 * (mu * mu + jnp.exp(lv) - lv - 1).sum(1)
        return rec, kl

    def loss(p, xb, key):
        r, k = terms(p, xb, key)
        return (r + k).mean()

    init, update = adam(1e-3)
    st = init(p)

    @jax.jit
    def step(p, st, xb, key):
        g = jax.grad(loss)(p, xb, key)
        return update(g, st, p)

    rng = np.random.default_rng(seed)
    key = ks[5]
    secs = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = rng.permutation(len(x))
        for i in range(0, len(x) - 127, 128):  # full batches (a ragged last batch recompiles)
            key, sk = jax.random.split(key)
            p, st = step(p, st, jnp.asarray(x[perm[i:i + 128]]), sk)
        jax.block_until_ready(p)
        secs.append(time.perf_counter() - t0)
    r, k = terms(p, jnp.asarray(xt), key)
    return secs, float((-r - k).mean())


def jax_gan(x, epochs, seed):
    jax, jnp, dense, adam = jax_models()
    ks = jax.random.split(jax.random.PRNGKey(seed), 7)
    G = [dense(ks[0], 64, 256), dense(ks[1], 256, 256), dense(ks[2], 256, 784)]
    D = [dense(ks[3], 784, 256), dense(ks[4], 256, 256), dense(ks[5], 256, 1)]

    def g_fwd(G, z):
        h = jax.nn.relu(z @ G[0][0] + G[0][1])
        h = jax.nn.relu(h @ G[1][0] + G[1][1])
        return jax.nn.sigmoid(h @ G[2][0] + G[2][1])

    def d_fwd(D, x):
        h = jax.nn.leaky_relu(x @ D[0][0] + D[0][1], 0.2)
        h = jax.nn.leaky_relu(h @ D[1][0] + D[1][1], 0.2)
        return (h @ D[2][0] + D[2][1])[:, 0]

    def ld(D, G, xb, z):
        fake = jax.lax.stop_gradient(g_fwd(G, z))
        return (jax.nn.softplus(-d_fwd(D, xb)) + jax.nn.softplus(d_fwd(D, fake))).mean()

    def lg(G, D, z):
        return jax.nn.softplus(-d_fwd(D, g_fwd(G, z))).mean()

    init, update = adam(2e-4, b1=0.5)
    sd, sg = init(D), init(G)

    @jax.jit
    def step(D, G, sd, sg, xb, key):
        k1, k2 = jax.random.split(key)
        D, sd = update(jax.grad(ld)(D, G, xb, jax.random.normal(k1, (xb.shape[0], 64))), sd, D)
        G, sg = update(jax.grad(lg)(G, D, jax.random.normal(k2, (xb.shape[0], 64))), sg, G)
        return D, G, sd, sg

    rng = np.random.default_rng(seed)
    key = ks[6]
    secs = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = rng.permutation(len(x))
        for i in range(0, len(x) - 127, 128):
            key, sk = jax.random.split(key)
            D, G, sd, sg = step(D, G, sd, sg, jnp.asarray(x[perm[i:i + 128]]), sk)
        jax.block_until_ready(G)
        secs.append(time.perf_counter() - t0)
    return secs


def ours(kind, epochs, seed):
    exe = os.path.join(ROOT, "target", "release", "gm-bench")
    args = [exe, kind, "--train", os.path.join(MNIST, "train-images-idx3-ubyte.gz"), "--epochs", str(epochs), "--seed", str(seed)]
    if kind == "vae":
        args += ["--test", os.path.join(MNIST, "t10k-images-idx3-ubyte.gz")]
    env = dict(os.environ, RAYON_NUM_THREADS="2")
    out = subprocess.run(args, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--peers", nargs="*", default=["torch", "jax"])
    a = ap.parse_args()
    x = idx_images("train-images-idx3-ubyte.gz")
    xt = idx_images("t10k-images-idx3-ubyte.gz")
    rows = []
    g = ours("vae", a.epochs, a.seed)
    rows.append(("VAE", "genmodels", min(g["epoch_seconds"]), g["test_elbo"]))
    g = ours("gan", a.epochs, a.seed)
    rows.append(("GAN", "genmodels", min(g["epoch_seconds"]), None))
    if "torch" in a.peers:
        try:
            import torch  # noqa: F401
            s, e = torch_vae(x, xt, a.epochs, a.seed)
            rows.append(("VAE", "PyTorch " + torch.__version__, min(s), e))
            rows.append(("GAN", "PyTorch " + torch.__version__, min(torch_gan(x, a.epochs, a.seed)), None))
        except ImportError:
            print("PyTorch is not installed: skipped", file=sys.stderr)
    if "jax" in a.peers:
        try:
            import jax
            s, e = jax_vae(x, xt, a.epochs, a.seed)
            rows.append(("VAE", "JAX " + jax.__version__, min(s), e))
            rows.append(("GAN", "JAX " + jax.__version__, min(jax_gan(x, a.epochs, a.seed)), None))
        except ImportError:
            print("JAX is not installed: skipped", file=sys.stderr)
    print(f"| model | library | epoch (s, best of {a.epochs}) | ratio to genmodels | test ELBO after {a.epochs} epoch(s) |")
    print("|---|---|---|---|---|")
    ref = {m: s for (m, lib, s, _) in rows if lib == "genmodels"}
    for m, lib, s, e in rows:
        print(f"| {m} | {lib} | {s:.2f} | {s / ref[m]:.2f} | {'' if e is None else f'{e:.2f}'} |")


if __name__ == "__main__":
    main()
