"""Tests for shared.datasets' text corpora: Python's documentation topics and its fixed split by
topic, and the WikiText-2 and TinyStories loaders.

The loaders are exercised on tiny files written here in the real formats (WikiText's raw lines
with ` = Title = ` and ` = = Section = = ` headings, TinyStories' stories separated by
`<|endoftext|>`). Nothing downloads.
"""
from __future__ import annotations

import platform
import re
import zlib
from pathlib import Path

import pytest

from shared import datasets as D

# ---------------------------------------------------------------------------------------------
# Tiny files in the real formats
# ---------------------------------------------------------------------------------------------

# The first lines of wiki.train.raw look like this: a blank line, then each article's title, its
# paragraphs and its section headings, every line starting with a space, blank lines between.
WIKI_TRAIN = (
    " \n"
    " = Valkyria Chronicles III = \n"
    " \n"
    " Senjō no Valkyria 3 : Unrecorded Chronicles is a tactical role @-@ playing video game . \n"
    " \n"
    " = = Gameplay = = \n"
    " \n"
    " As with previous Valkyira Chronicles games , the game is a tactical role @-@ playing game . \n"
    " \n"
    " = = = Units = = = \n"
    " \n"
    " Troops are divided into five classes : Scouts , Shocktroopers , Engineers , Lancers and Armored Soldier . \n"
    " \n"
    " = Tower Building of the Little Rock Arsenal = \n"
    " \n"
    " The Tower Building of the Little Rock Arsenal , also known as U.S. Arsenal Building , is a building . \n"
    " \n"
)
WIKI_VALID = " \n = Homarus gammarus = \n \n Homarus gammarus is a species of clawed lobster . \n \n"
WIKI_TEST = " \n = Robert Boulter = \n \n Robert Boulter is an English film , television and theatre actor . \n \n"

STORIES = [
    "One day, a little girl named Lily found a needle in her room.\nShe knew it was difficult to play with it.",
    "Once upon a time, there was a little car named Beep. Beep loved to go fast.",
    "Tom and his dog went to the park.\n\n\"Look, a ball!\" said Tom.",
]


def write_wikitext2(folder: Path, splits: tuple[str, ...] = ("train", "validation", "test")) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    texts = {
        "train": ("wiki.train.raw", WIKI_TRAIN),
        "validation": ("wiki.valid.raw", WIKI_VALID),
        "test": ("wiki.test.raw", WIKI_TEST),
    }
    for split in splits:
        name, text = texts[split]
        (folder / name).write_text(text, encoding="utf-8")


def write_tinystories(path: Path, stories: list[str]) -> None:
    """Stories the way the TinyStories text files hold them: each followed by a separator line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{story}\n<|endoftext|>\n" for story in stories), encoding="utf-8")


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder under tmp_path, made the default through LAB_DATA_DIR."""
    root = tmp_path / "data"
    monkeypatch.setenv("LAB_DATA_DIR", str(root))
    return root


# ---------------------------------------------------------------------------------------------
# Python's documentation topics
# ---------------------------------------------------------------------------------------------


def test_load_pydoc_topics_is_pythons_own_text_sorted_by_topic():
    from pydoc_data.topics import topics

    loaded = D.load_pydoc_topics()
    assert loaded == topics, "load_pydoc_topics() should hold exactly pydoc_data.topics.topics"
    assert list(loaded) == sorted(topics), "the topics should come sorted by name"
    loaded.clear()
    assert D.load_pydoc_topics() == topics, "changing the returned dict should not change the next call's"


def test_split_is_disjoint_by_topic_and_covers_every_topic():
    topics = D.load_pydoc_topics()
    train, validation = D.corpus_topics("train"), D.corpus_topics("validation")
    assert not set(train) & set(validation), f"topics in both splits: {sorted(set(train) & set(validation))}"
    assert sorted(train + validation) == list(topics), "train and validation together should be every topic, each once"
    assert D.corpus_topics("all") == list(topics), "split='all' should be every topic"
    assert train and validation, f"both splits should be non-empty, got {len(train)} and {len(validation)} topics"
    for split, names in (("validation", validation), ("all", list(topics))):
        assert D.text_corpus(split) == [topics[name] for name in names], (
            f"text_corpus({split!r}) should be the texts of corpus_topics({split!r}), in that order"
        )
    cut = 0
    for name, text in zip(train, D.text_corpus("train")):
        whole = topics[name]
        blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
        assert all(b in whole for b in blocks), f"train page {name!r} holds text its topic does not"
        cut += text != whole
    assert cut >= 1, "the train pages that repeat a validation page ('specialnames') should be cut"


def test_no_validation_block_of_100_characters_is_in_a_train_page():
    held_out = {b.strip() for text in D.text_corpus("validation") for b in re.split(r"\n\s*\n", text)
                if len(b.strip()) >= 100}
    for name, text in zip(D.corpus_topics("train"), D.text_corpus("train")):
        leaked = [b for b in re.split(r"\n\s*\n", text) if b.strip() in held_out]
        assert not leaked, f"train page {name!r} still holds {len(leaked)} validation block(s), e.g. {leaked[0][:80]!r}"
    short = {b.strip() for text in D.text_corpus("validation") for b in re.split(r"\n\s*\n", text)
             if 0 < len(b.strip()) < 100}
    assert any(b.strip() in short for text in D.text_corpus("train") for b in re.split(r"\n\s*\n", text)), (
        "short blocks such as 'See also:' are common to both splits and should stay in the train pages")


def test_split_follows_the_documented_crc32_rule():
    topics = D.load_pydoc_topics()
    expected = [name for name in topics if zlib.crc32(name.encode("utf-8")) % 10 == 0]
    assert D.corpus_topics("validation") == expected, (
        f"validation should be the topics whose crc32 % 10 == 0: {expected}, got {D.corpus_topics('validation')}"
    )
    assert D.text_corpus() == D.text_corpus("train"), "the default split should be 'train'"
    first = D.text_corpus("validation")
    first.append("not a topic")
    assert D.text_corpus("validation") == [topics[name] for name in expected], "every call should give the same fresh list"


def test_corpus_info_matches_what_text_corpus_returns():
    info = D.corpus_info()
    assert info["python"] == platform.python_version(), f"corpus_info() should name this Python, got {info['python']}"
    for split in ("train", "validation", "all"):
        docs = D.text_corpus(split)
        assert info["topics"][split] == len(docs), (
            f"{split}: corpus_info says {info['topics'][split]} topics, text_corpus has {len(docs)}"
        )
        chars = sum(len(doc) for doc in docs)
        assert info["characters"][split] == chars, (
            f"{split}: corpus_info says {info['characters'][split]} characters, text_corpus has {chars}"
        )
    assert info["validation_topics"] == D.corpus_topics("validation"), "validation_topics should name the validation split"
    assert info["characters"]["train"] + info["characters"]["validation"] <= info["characters"]["all"]


@pytest.mark.skipif(platform.python_version() != "3.11.7", reason="the sizes in the docstring were measured on Python 3.11.7")
def test_documented_sizes_hold_on_python_3_11_7():
    info = D.corpus_info()
    assert info["topics"] == {"train": 74, "validation": 5, "all": 79}, info["topics"]
    assert info["characters"] == {"train": 407_974, "validation": 42_746, "all": 464_970}, info["characters"]
    assert info["validation_topics"] == ["attribute-access", "context-managers", "floating", "formatstrings", "power"]



def test_every_topic_has_one_documented_section():
    listed = [topic for topics in D.PYDOC_SECTIONS.values() for topic in topics]
    assert len(listed) == len(set(listed)), "a topic is listed in two sections of PYDOC_SECTIONS"
    unlisted = [t for t in D.load_pydoc_topics() if D.corpus_section(t) is None]
    assert not unlisted, f"topics of this Python without a section in PYDOC_SECTIONS: {unlisted}"
    assert D.corpus_section("for") == "compound statements" and D.corpus_section("no such topic") is None


def test_corpus_paragraphs_are_unique_long_enough_and_labelled_by_their_topic():
    paras = D.corpus_paragraphs("all", min_chars=200)
    texts = [text for text, _, _ in paras]
    assert len(texts) == len(set(texts)), "a paragraph appears twice"
    assert all(len(t) >= 200 and t == t.strip() for t in texts)
    topics = D.load_pydoc_topics()
    for text, topic, section in paras:
        assert text in topics[topic], f"paragraph attributed to {topic!r} is not in its text"
        assert section == D.corpus_section(topic)
    train = {t for t, _, _ in D.corpus_paragraphs("train")}
    validation = {t for t, _, _ in D.corpus_paragraphs("validation")}
    assert train and validation and not train & validation, "a validation paragraph is also in the train split"
    assert len(D.corpus_paragraphs("all", min_chars=50)) > len(paras)


@pytest.mark.parametrize("split", ["test", "valid", "Train", ""])
def test_text_corpus_rejects_an_unknown_split(split):
    with pytest.raises(ValueError, match="split must be 'train', 'validation' or 'all'"):
        D.text_corpus(split)
    with pytest.raises(ValueError, match="split must be"):
        D.corpus_topics(split)


# ---------------------------------------------------------------------------------------------
# WikiText-2
# ---------------------------------------------------------------------------------------------


def test_load_wikitext2_cuts_articles_at_title_lines(data_root):
    write_wikitext2(data_root / "wikitext-2-raw")
    articles = D.load_wikitext2("train")
    titles = [article.splitlines()[0].strip(" =") for article in articles]
    assert titles == ["Valkyria Chronicles III", "Tower Building of the Little Rock Arsenal"], (
        f"expected 2 articles cut at the ' = Title = ' lines, got titles {titles}"
    )
    assert " = = Gameplay = = \n" in articles[0] and " = = = Units = = = \n" in articles[0], (
        "section and subsection headings should stay inside their article"
    )
    assert "".join(articles) == WIKI_TRAIN.removeprefix(" \n"), (
        "the articles should be the file's text unchanged, less the blank line before the first title"
    )
    assert D.load_wikitext2() == articles, "the default split should be 'train'"
    assert [a.splitlines()[0] for a in D.load_wikitext2("validation")] == [" = Homarus gammarus = "]
    assert [a.splitlines()[0] for a in D.load_wikitext2("test")] == [" = Robert Boulter = "]


def test_load_wikitext2_needs_only_the_asked_split_and_honours_root(tmp_path, data_root):
    write_wikitext2(tmp_path / "elsewhere" / "wikitext-2-raw", splits=("validation",))
    assert len(D.load_wikitext2("validation", root=tmp_path / "elsewhere")) == 1, "root= should override LAB_DATA_DIR"
    with pytest.raises(D.DatasetNotFoundError, match="wiki.train.raw: missing"):
        D.load_wikitext2("train", root=tmp_path / "elsewhere")
    with pytest.raises(D.DatasetNotFoundError, match=str(data_root)):
        D.load_wikitext2("validation")


def test_missing_wikitext2_names_the_path_and_the_source(data_root):
    with pytest.raises(D.DatasetNotFoundError) as caught:
        D.load_wikitext2("validation")
    message = str(caught.value)
    assert isinstance(caught.value, FileNotFoundError), "DatasetNotFoundError should be a FileNotFoundError"
    assert "wiki.valid.raw: missing" in message, f"the message should say which file is missing:\n{message}"
    assert str(data_root / "wikitext-2-raw") in message, f"the message should say where the files go:\n{message}"
    for source in ("wikitext-2-raw-v1.zip", "Merity et al. 2016", "Salesforce/wikitext", "wikitext-2-raw-v1"):
        assert source in message, f"the message should name the source ({source}):\n{message}"
    for name in ("wiki.train.raw", "wiki.valid.raw", "wiki.test.raw"):
        assert name in message, f"the message should list every file ({name}):\n{message}"


def test_wikitext2_file_that_is_empty_or_has_no_title_is_rejected(data_root):
    folder = data_root / "wikitext-2-raw"
    write_wikitext2(folder)
    (folder / "wiki.test.raw").write_text("", encoding="utf-8")
    with pytest.raises(D.DatasetNotFoundError, match="wiki.test.raw: is empty"):
        D.load_wikitext2("test")
    (folder / "wiki.valid.raw").write_text("just some words\nwithout any heading\n", encoding="utf-8")
    with pytest.raises(D.DatasetNotFoundError, match="wiki.valid.raw: has no ' = Title = ' heading"):
        D.load_wikitext2("validation")


@pytest.mark.parametrize("split", ["valid", "dev", "all"])
def test_load_wikitext2_rejects_an_unknown_split(split, data_root):
    with pytest.raises(ValueError, match="splits 'train' or 'validation' or 'test'"):
        D.load_wikitext2(split)


# ---------------------------------------------------------------------------------------------
# TinyStories
# ---------------------------------------------------------------------------------------------


def test_load_tinystories_splits_at_endoftext_and_strips_each_story(data_root):
    write_tinystories(data_root / "tinystories" / "TinyStories-train.txt", STORIES)
    write_tinystories(data_root / "tinystories" / "TinyStories-valid.txt", STORIES[1:])
    assert D.load_tinystories("train") == STORIES, "each story should come back whole (inner newlines kept), stripped"
    assert D.load_tinystories() == STORIES, "the default split should be 'train'"
    assert D.load_tinystories("validation") == STORIES[1:], "validation should read TinyStories-valid.txt"
    assert D.load_tinystories("train", max_stories=2) == STORIES[:2], "max_stories=2 should give the first two"
    assert D.load_tinystories("train", max_stories=0) == [], "max_stories=0 should give none"
    assert D.load_tinystories("train", max_stories=10) == STORIES, "max_stories beyond the file should give them all"


def test_load_tinystories_handles_a_separator_across_a_read_boundary_and_no_final_separator(data_root):
    # The loader reads 1 MiB at a time: put a separator across that boundary, and end without one.
    first = "a" * ((1 << 20) - 5)
    text = f"{first}<|endoftext|>  Second story.\n<|endoftext|>\nThird story, no separator after it.\n"
    path = data_root / "tinystories" / "TinyStories-valid.txt"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    stories = D.load_tinystories("validation")
    assert [len(s) for s in stories] == [len(first), 13, 35], f"expected 3 stories, got lengths {[len(s) for s in stories]}"
    assert stories[1:] == ["Second story.", "Third story, no separator after it."], stories[1:]


def test_missing_tinystories_names_the_path_and_the_source(tmp_path, data_root):
    with pytest.raises(D.DatasetNotFoundError) as caught:
        D.load_tinystories("validation")
    message = str(caught.value)
    assert "TinyStories-valid.txt: missing" in message, f"the message should say which file is missing:\n{message}"
    assert str(data_root / "tinystories") in message, f"the message should say where the files go:\n{message}"
    for source in ("roneneldan/TinyStories", "Eldan & Li 2023", "TinyStories-train.txt"):
        assert source in message, f"the message should name the source ({source}):\n{message}"
    write_tinystories(tmp_path / "other" / "tinystories" / "TinyStories-valid.txt", STORIES)
    assert D.load_tinystories("validation", root=tmp_path / "other") == STORIES, "root= should override LAB_DATA_DIR"
    with pytest.raises(D.DatasetNotFoundError, match="TinyStories-train.txt: missing"):
        D.load_tinystories("train", root=tmp_path / "other")


def test_empty_tinystories_file_is_rejected(data_root):
    path = data_root / "tinystories" / "TinyStories-train.txt"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    with pytest.raises(D.DatasetNotFoundError, match="TinyStories-train.txt: is empty"):
        D.load_tinystories()


def test_load_tinystories_rejects_an_unknown_split_or_a_negative_count(data_root):
    with pytest.raises(ValueError, match="splits 'train' or 'validation'"):
        D.load_tinystories("test")
    write_tinystories(data_root / "tinystories" / "TinyStories-train.txt", STORIES)
    with pytest.raises(ValueError, match="max_stories must be None or >= 0"):
        D.load_tinystories("train", max_stories=-1)


# ---------------------------------------------------------------------------------------------
# The command line lists the text corpora
# ---------------------------------------------------------------------------------------------


def test_cli_info_lists_the_text_corpora(data_root, capsys):
    write_wikitext2(data_root / "wikitext-2-raw")
    write_tinystories(data_root / "tinystories" / "TinyStories-valid.txt", STORIES)
    assert D.main(["info"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    state = {line.split()[0]: line.split()[1] for line in lines if line.startswith("  ") and len(line.split()) > 2}
    assert (state["wikitext-2"], state["tinystories"], state["pydoc-topics"]) == ("present", "incomplete", "present"), out
    assert "TinyStories-train.txt: missing" in out, f"info should say which TinyStories file is missing:\n{out}"
    assert f"{D.corpus_info()['topics']['all']} topics" in out, f"info should say how many topics this Python ships:\n{out}"
