"""Author-year citations whose labels tell same-author, same-year papers apart.

sphinxcontrib-bibtex's `author_year` reference style writes the year field alone, so
Chaudhry et al.'s two 2019 papers both read "Chaudhry et al., 2019", and its default
bibliography style labels the list with alpha keys ([CRRE19]) that appear nowhere in the
text. This extension registers, under the name `gembook_author_year`:

* a pybtex label style: "Lopez-Paz and Ranzato, 2017", "Chaudhry et al., 2019a",
  "Chaudhry et al., 2019b" (one author: the surname; two: both; more: the first and
  "et al."; a letter after the year where author and year repeat, in the list's order);
* a pybtex formatting style: pybtex's `plain` (sorted by author, year, title) with those
  labels, for the bibliography (`bibtex_default_style`);
* a sphinxcontrib-bibtex reference style: `author_year`, with the year taken from the
  label, letter included, and the references of one citation separated by semicolons,
  "[Ring, 1997; Thrun and Mitchell, 1995]", as author-year styles do: the comma already
  separates each author from the year (`bibtex_reference_style`).

Checked with sphinxcontrib-bibtex 2.7.0 and pybtex 0.26.1 (pinned in requirements.txt).
"""

from collections import Counter
from dataclasses import dataclass, field

import pybtex.plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinxcontrib.bibtex.plugin import register_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle, GroupReferenceStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle
from sphinxcontrib.bibtex.style.referencing.basic_author_year import (
    BasicAuthorYearParentheticalReferenceStyle,
    BasicAuthorYearTextualReferenceStyle,
)
from sphinxcontrib.bibtex.style.referencing.extra_author import (
    ExtraAuthorReferenceStyle,
)
from sphinxcontrib.bibtex.style.referencing.extra_empty import ExtraEmptyReferenceStyle
from sphinxcontrib.bibtex.style.referencing.extra_label import ExtraLabelReferenceStyle
from sphinxcontrib.bibtex.style.referencing.extra_year import ExtraYearReferenceStyle
from sphinxcontrib.bibtex.style.template import (
    join,
    join2,
    node,
    post_text,
    pre_text,
    reference,
)

NAME = "gembook_author_year"
AUTHOR_YEAR_SEP = ", "
CITATION_SEP = "; "  # between the references of one citation


def _surname(person):
    return " ".join(str(part) for part in
                    person.rich_prelast_names + person.rich_last_names)


class LabelStyle(BaseLabelStyle):
    """"Surname, 2017", "Surname and Other, 2017", "Surname et al., 2019a"."""

    def format_label(self, entry):
        persons = entry.persons.get("author") or entry.persons.get("editor") or []
        if not persons:
            who = str(Text.from_latex(entry.fields.get("title", entry.key)))
        elif len(persons) == 1:
            who = _surname(persons[0])
        elif len(persons) == 2:
            who = f"{_surname(persons[0])} and {_surname(persons[1])}"
        else:
            who = f"{_surname(persons[0])} et al."
        return who + AUTHOR_YEAR_SEP + entry.fields.get("year", "n.d.")

    def format_labels(self, sorted_entries):
        labels = [self.format_label(entry) for entry in sorted_entries]
        count, seen = Counter(labels), Counter()
        for label in labels:
            if count[label] == 1:
                yield label
            else:
                yield label + chr(ord("a") + seen[label])
                seen[label] += 1


class FormattingStyle(PlainStyle):
    default_label_style = NAME


@node
def label_year(children, data):
    """The year of the entry's label, with its letter: "2019a"."""
    assert not children
    return Text(data["formatted_entry"].label.rpartition(AUTHOR_YEAR_SEP)[2])


@dataclass
class ParentheticalStyle(BasicAuthorYearParentheticalReferenceStyle):
    def inner(self, role_name):
        return join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[
            pre_text,
            reference[join(sep=self.author_year_sep)[
                self.person.author_or_editor_or_title(full="s" in role_name),
                label_year,
            ]],
            post_text,
        ]


@dataclass
class TextualStyle(BasicAuthorYearTextualReferenceStyle):
    def inner(self, role_name):
        return join(sep=self.text_reference_sep)[
            self.person.author_or_editor_or_title(full="s" in role_name),
            join[
                self.bracket.left,
                join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[
                    pre_text, reference[label_year], post_text],
                self.bracket.right,
            ],
        ]


@dataclass
class YearStyle(ExtraYearReferenceStyle):
    def inner(self, role_name):
        return reference[label_year]


def _citation_brackets():
    return BracketStyle(sep=CITATION_SEP)


@dataclass
class ReferenceStyle(AuthorYearReferenceStyle):
    """sphinxcontrib-bibtex's `author_year`, with the label's year ("2019a") and
    semicolons between the references of a parenthetical or textual citation."""

    bracket_parenthetical: BracketStyle = field(default_factory=_citation_brackets)
    bracket_textual: BracketStyle = field(default_factory=_citation_brackets)

    def __post_init__(self):
        self.styles.extend([
            ParentheticalStyle(
                bracket=self.bracket_parenthetical, person=self.person,
                author_year_sep=self.author_year_sep, pre_text_sep=self.pre_text_sep,
                post_text_sep=self.post_text_sep),
            TextualStyle(
                bracket=self.bracket_textual, person=self.person,
                text_reference_sep=self.text_reference_sep,
                pre_text_sep=self.pre_text_sep, post_text_sep=self.post_text_sep),
            ExtraAuthorReferenceStyle(bracket=self.bracket_author, person=self.person),
            ExtraLabelReferenceStyle(bracket=self.bracket_label),
            YearStyle(bracket=self.bracket_year),
            ExtraEmptyReferenceStyle(),
        ])
        GroupReferenceStyle.__post_init__(self)


def setup(app):
    pybtex.plugin.register_plugin("pybtex.style.labels", NAME, LabelStyle)
    pybtex.plugin.register_plugin("pybtex.style.formatting", NAME, FormattingStyle)
    register_plugin("sphinxcontrib.bibtex.style.referencing", NAME, ReferenceStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
