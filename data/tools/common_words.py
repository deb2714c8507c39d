#!/usr/bin/env python3
"""Regenerate data/common_words.txt: the most frequent Chinese words of general language.

Source: the dictionary of jieba 0.42.1 (MIT licence, https://github.com/fxsjy/jieba), which lists
349,046 words with corpus frequencies. We keep the 6,000 most frequent words of 2-4 Han
characters. qabot uses the list only to tell everyday words (时候, 公司, 导致) from specific ones
(比特币, 红烧肉) when weighing what a question says; it is not a segmenter.

    pip download jieba==0.42.1 --no-deps && tar xzf jieba-0.42.1.tar.gz
    python3 data/tools/common_words.py jieba-0.42.1/jieba/dict.txt > data/common_words.txt
"""
import re
import sys

KEEP = 6000
han = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
rows = []
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        parts = line.split()
        if len(parts) >= 2 and han.match(parts[0]):
            rows.append((int(parts[1]), parts[0]))
rows.sort(key=lambda r: (-r[0], r[1]))
print("# The 6,000 most frequent 2-4 character words of general Chinese, one per line.")
print("# Derived from the jieba 0.42.1 dictionary (MIT licence, Copyright (c) 2013 Sun Junyi);")
print("# regenerate with data/tools/common_words.py.")
for _, word in rows[:KEEP]:
    print(word)
