#!/usr/bin/env python3
"""Makes the small input files of the golden README tour (tests/golden_tour.rs).

Standard library only; deterministic (gzip mtime 0). Run from the repository root:
    python3 crates/genmodels-cli/tests/golden/make_inputs.py
The files are committed; the test never runs this script.
"""
import csv, gzip, io, os, random, struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inputs")
rng = random.Random(17)


def write(name, text):
    with open(os.path.join(OUT, name), "w", newline="") as f:
        f.write(text)


def gz(name, payload):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as g:
        g.write(payload)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(buf.getvalue())


def idx(path):
    data = gzip.open(os.path.join(ROOT, path)).read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return [data[16 + i * rows * cols:16 + (i + 1) * rows * cols] for i in range(n)], (rows, cols)
    return list(data[8:8 + n]), None


# Old Faithful: a few new rows, one with a missing cell; gaps to impute.
faithful = list(csv.reader(open(os.path.join(ROOT, "data/old_faithful.csv"))))
header, rows = faithful[0], faithful[1:]
new = [header] + rows[:8] + [["", rows[8][1]], [rows[9][0], ""]]
write("new.csv", "\n".join(",".join(r) for r in new) + "\n")
write("gaps.csv", "eruptions,waiting\n3.6,\n,54\n4.5,\n,88\n")

# Two sequences of the RGNP series, with an id column.
rgnp = [l.strip() for l in open(os.path.join(ROOT, "data/sequences/markov_rgnp.csv"))][1:]
write("other.csv", "id,rgnp\n" + "".join(f"{1 if i < 60 else 2},{v}\n" for i, v in enumerate(rgnp[:120])))

# Categorical sequences: documents of words.
vocab = ["the", "cat", "sat", "on", "mat", "dog", "ran", "far"]
lines = ["doc,word"]
for d in range(12):
    for _ in range(rng.randint(6, 14)):
        lines.append(f"d{d},{rng.choice(vocab[:5] if d % 2 else vocab[3:])}")
write("words.csv", "\n".join(lines) + "\n")

# Strokes: 2-D pen positions drifting left to right.
lines = ["id,x,y"]
for s in range(10):
    x, y = 0.0, rng.gauss(0, 1)
    for t in range(rng.randint(12, 20)):
        x += 1 + rng.gauss(0, 0.2)
        y += rng.gauss(0.3 if t < 8 else -0.3, 0.2)
        lines.append(f"{s},{x:.4f},{y:.4f}")
write("strokes.csv", "\n".join(lines) + "\n")

# Batch queries on alarm: filled cells are evidence.
write("queries.csv", "BP,CVP,HR\nLOW,,\n,HIGH,\nNORMAL,,HIGH\n")

# MNIST, 200 training and 100 test images with their labels.
for split, n in (("train", 200), ("t10k", 100)):
    images, (r, c) = idx(f"data/mnist/{split}-images-idx3-ubyte.gz")
    labels, _ = idx(f"data/mnist/{split}-labels-idx1-ubyte.gz")
    gz(f"{split}-images.gz", struct.pack(">IIII", 2051, n, r, c) + b"".join(images[:n]))
    gz(f"{split}-labels.gz", struct.pack(">II", 2049, n) + bytes(labels[:n]))
    if split == "t10k":
        # Eight test images binarised at 0.5 as CSV; the lower half of each blanked for inpainting.
        cols = [f"p{i}" for i in range(r * c)]
        full = [",".join(cols)]
        half = [",".join(cols)]
        for im in images[:8]:
            vals = ["1" if b > 127 else "0" for b in im]
            full.append(",".join(vals))
            half.append(",".join(v if i < r * c // 2 else "" for i, v in enumerate(vals)))
        write("images.csv", "\n".join(full) + "\n")
        write("half-images.csv", "\n".join(half) + "\n")

# Ratings: 30 users, 20 items, two tastes; a held-out split.
train, held = ["user,item,rating"], ["user,item,rating"]
for u in range(30):
    for i in rng.sample(range(20), 9):
        like = (u % 2 == 0) == (i < 10)
        rating = max(1, min(5, round(rng.gauss(4.2 if like else 2.0, 0.7))))
        (held if rng.random() < 0.2 else train).append(f"{u},{i},{rating}")
write("ratings.csv", "\n".join(train) + "\n")
write("held_out.csv", "\n".join(held) + "\n")
