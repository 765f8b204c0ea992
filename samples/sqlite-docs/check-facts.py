#!/usr/bin/env python3
"""Checks that the sqlite-docs golden set is honest about its corpus.

For every case expected to answer, each text fact must occur on a page the case cites, every page of the sources that
states a fact must be cited (a case lists EVERY page that states it), and every cited page must state one of them (a
multi-hop case cites the pages of each of its facts).
Pages are read roughly as Skybridge's DocumentReader reads HTML: the body's text without script, style, nav, svg,
button and template elements, block elements on their own lines, superscripts as ^N (2^64); facts then match as the
scorer matches them (case-insensitive, runs of whitespace collapsed). The reader does more (site chrome, table headers,
link-list pages): the authoritative check is SqliteDocsSampleTests, which reads the pages with DocumentReader itself.

    python3 samples/sqlite-docs/check-facts.py              # check the golden set (exit 1 on any problem)
    python3 samples/sqlite-docs/check-facts.py --find TEXT  # list the pages that state TEXT

Needs PyYAML (Debian: python3-yaml) and the corpus (samples/sqlite-docs/setup.sh).
"""
import html.parser
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = {"corpus": os.path.join(HERE, "corpus"), "planted": os.path.join(HERE, "planted")}
SKIP = {"script", "style", "nav", "template", "svg", "button", "noscript"}
BLOCKS = {"p", "div", "section", "article", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr",
          "br", "header", "footer", "blockquote", "pre", "dd", "dt"}
VOID = {"br", "img", "hr", "meta", "link", "input", "area", "base", "col", "embed", "param", "source", "track", "wbr"}


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skip, self.in_body = [], 0, False

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.in_body = True
        if tag in SKIP and tag not in VOID:
            self.skip += 1
        if tag in BLOCKS and not self.skip:
            self.parts.append("\n")
        if tag in ("sup", "sub") and not self.skip:
            self.parts.append("^" if tag == "sup" else "_")

    def handle_endtag(self, tag):
        if tag in SKIP:
            self.skip = max(0, self.skip - 1)
        if tag in BLOCKS and not self.skip:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def normalise(text):
    return " ".join(text.lower().split())


def read_pages():
    pages = {}
    for name, root in SOURCES.items():
        for folder, _, files in os.walk(root):
            for file in files:
                if not file.endswith((".html", ".htm")):
                    continue
                path = os.path.join(folder, file)
                parser = _Text()
                with open(path, encoding="utf-8") as stream:
                    parser.feed(stream.read())
                pages[(name, os.path.relpath(path, root).replace(os.sep, "/"))] = normalise("".join(parser.parts))
    return pages


def find(pages, text):
    needle = normalise(text)
    return sorted(path for (_, path), body in pages.items() if needle in body)


def main(argv):
    if not os.path.isdir(SOURCES["corpus"]):
        print("check-facts: no corpus; run samples/sqlite-docs/setup.sh first", file=sys.stderr)
        return 2
    pages = read_pages()
    if len(argv) > 2 and argv[1] == "--find":
        for path in find(pages, " ".join(argv[2:])):
            print(path)
        return 0
    import yaml
    with open(os.path.join(HERE, "golden-set.yaml"), encoding="utf-8") as stream:
        golden = yaml.safe_load(stream)
    problems = 0
    checked = 0
    for case in golden["cases"]:
        expect = case["expect"]
        if expect.get("outcome") != "answer":
            continue
        facts = [f for f in expect.get("facts", []) if isinstance(f, str)]
        cited = set(expect.get("cite", []))
        checked += 1
        stating = {}
        for fact in facts:
            stating[fact] = set(find(pages, fact))
            if not stating[fact] & cited:
                print(f"{case['id']}: '{fact}' is on none of the cited pages")
                problems += 1
            for path in sorted(stating[fact] - cited):
                print(f"{case['id']}: {path} states '{fact}' but is not cited")
                problems += 1
        for path in sorted(cited - set().union(*stating.values())):
            print(f"{case['id']}: cited page {path} states none of the facts")
            problems += 1
    print(f"check-facts: {checked} answer cases over {len(pages)} pages, {problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
