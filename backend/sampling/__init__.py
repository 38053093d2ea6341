"""双随机、一公开: inspection plans whose shops and inspectors are drawn at random, by a draw
anyone can re-run (draw.py), and whose results are published."""
