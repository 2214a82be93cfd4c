//! Reading and writing networks: BIF, XMLBIF, and pictures of the graph (DOT, SVG).
