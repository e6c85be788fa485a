# ruff: noqa: RUF001 (CLDR strings hold en dashes, fullwidth tildes and letters on purpose)
"""Localisation: catalogs, CLDR dates and plurals, fallbacks, user catalogs, RTL, wide text.

Expected dates and plural forms are written out literally from CLDR (as
Babel ships it, see ``babel.dates`` and the CLDR "Date/Time Patterns" and
"Language Plural Rules" charts), never produced by our own code.
"""

from __future__ import annotations

import runpy
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from digest import i18n
from digest.cli import main
from digest.compose import period_phrase
from digest.config import DEFAULT_OTHER_SECTION, DEFAULT_SUBJECT, Config, load_config
from digest.errors import ConfigError, TemplateError
from digest.models import DateWindow
from digest.output import write_build
from digest.pipeline import build
from digest.templates import display_width, wrap

from .browser import ARTIFACTS, offline
from .conftest import REPO, sample_config_in

LOCALE = REPO / "src" / "digest" / "locale"
SHIPPED = ("de", "es", "fr", "it", "nl", "pt", "sv", "ja", "ar")
UNTIL = date(2026, 11, 26)
WEEK = DateWindow(since=date(2026, 11, 20), until=UNTIL)


def localised(config: Config, language: str) -> Config:
    """The sample in ``language``, with digest's own subject, intro and "Other" title
    (the sample's are English copy written in digest.toml)."""
    return config.but(
        until=UNTIL,
        language=language,
        subject=DEFAULT_SUBJECT,
        intro="",
        other_section=DEFAULT_OTHER_SECTION,
    )


# --- the catalogs --------------------------------------------------------------------------


def pot_messages() -> dict[str | tuple[str, ...], Any]:
    with (LOCALE / "messages.pot").open("rb") as handle:
        return {m.id if isinstance(m.id, str) else tuple(m.id): m for m in read_po(handle) if m.id}


def test_every_language_the_issue_names_ships_a_catalog() -> None:
    assert set(SHIPPED) <= set(i18n.available_languages())


@pytest.mark.parametrize("lang", SHIPPED)
def test_each_catalog_translates_every_message_with_its_placeholders(lang: str) -> None:
    with (LOCALE / lang / "LC_MESSAGES" / "digest.po").open("rb") as handle:
        catalog = read_po(handle)
    # the plural rule is CLDR's for the language (Arabic: six forms)
    assert catalog.num_plurals == get_plural(lang).num_plurals
    assert catalog.plural_expr == get_plural(lang).plural_expr
    translated = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in catalog if m.id}
    for msgid in pot_messages():
        message = translated.get(msgid)
        assert message is not None, f"{lang}: {msgid!r} is missing"
        assert not message.fuzzy, f"{lang}: {msgid!r} is fuzzy"
        if isinstance(msgid, str):
            assert message.string, f"{lang}: {msgid!r} is untranslated"
            assert i18n.placeholders(message.string) == i18n.placeholders(msgid), (lang, msgid)
            continue
        forms = message.string
        assert len(forms) == catalog.num_plurals and all(forms), f"{lang}: {msgid!r} forms"
        wanted = i18n.placeholders(msgid[1])
        for form in forms:
            # a form may leave out the number ("يومين", two days) but nothing else
            assert wanted - {"num"} <= i18n.placeholders(form) <= wanted, (lang, form)


def test_messages_pot_is_up_to_date_with_the_code_and_templates() -> None:
    """A new string in a template or in compose.py must be extracted and translated."""
    script = runpy.run_path(str(REPO / "scripts" / "extract_messages.py"))
    assert script["main"](["--check"]) == 0, "run: python scripts/extract_messages.py"


def test_the_templates_have_no_untranslated_english_left() -> None:
    """Every English word a built-in template prints comes through gettext."""
    for name in ("digest.mjml.j2", "digest.txt.j2"):
        text = (REPO / "templates" / name).read_text(encoding="utf-8")
        for phrase in ("Read more", "Unsubscribe", "View in your browser", "No new posts"):
            for line in text.splitlines():
                if phrase in line and not line.lstrip().startswith(("{#", "#")):
                    assert f'_("{phrase}' in line, f"{name}: {line.strip()}"


# --- dates, windows, numbers, plurals (CLDR) -----------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "November 26, 2026"),  # CLDR en long: MMMM d, y
        ("en-GB", "26 November 2026"),  # d MMMM y
        ("de", "26. November 2026"),  # d. MMMM y
        ("fr", "26 novembre 2026"),
        ("es", "26 de noviembre de 2026"),  # d 'de' MMMM 'de' y
        ("it", "26 novembre 2026"),
        ("nl", "26 november 2026"),
        ("pt", "26 de novembro de 2026"),
        ("sv", "26 november 2026"),
        ("ja", "2026年11月26日"),  # y年M月d日
        ("ar", "26 نوفمبر 2026"),
    ],
)
def test_long_dates_follow_the_locale(tag: str, expected: str) -> None:
    assert i18n.language(tag).format_date(UNTIL) == expected


@pytest.mark.parametrize(
    ("tag", "since", "expected"),
    [
        # CLDR interval formats (yMMMd, greatest difference d / M / y), months written in full
        ("en-GB", date(2026, 11, 19), "19\u2009–\u200926 November 2026"),
        ("de", date(2026, 11, 19), "19.–26. November 2026"),
        ("fr", date(2026, 11, 19), "19–26 novembre 2026"),
        ("es", date(2026, 11, 19), "19–26 de noviembre de 2026"),  # es has yMMMMd itself
        ("ja", date(2026, 11, 19), "2026年11月19日～26日"),
        ("en-GB", date(2026, 10, 29), "29 October\u2009–\u200926 November 2026"),
        ("de", date(2025, 12, 29), "29. Dezember 2025\u2009–\u200926. November 2026"),
        ("en-GB", date(2026, 11, 26), "26 November 2026"),  # one day: the long date
    ],
)
def test_windows_follow_the_locale(tag: str, since: date, expected: str) -> None:
    assert i18n.language(tag).format_window(since, UNTIL) == expected


def test_numbers_follow_the_locale() -> None:
    assert i18n.language("en").format_number(12345) == "12,345"
    assert i18n.language("de").format_number(12345) == "12.345"
    assert i18n.language("fr").format_number(12345) == "12\u202f345"  # narrow no-break space


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (3, "في آخر 3 أيام"),  # few: n % 100 in 3..10
        (10, "في آخر 10 أيام"),
        (11, "في آخر 11 يومًا"),  # many: n % 100 in 11..99
        (99, "في آخر 99 يومًا"),
        (100, "في آخر 100 يوم"),  # other
        (102, "في آخر 102 يوم"),  # other: 102 % 100 == 2 is not "two"
        (103, "في آخر 103 أيام"),  # few again
        (14, "في الأسبوعين الماضيين"),  # two weeks: a phrase of its own
    ],
)
def test_arabic_windows_use_the_plural_form_for_the_count(days: int, expected: str) -> None:
    window = DateWindow(since=date.fromordinal(UNTIL.toordinal() - days + 1), until=UNTIL)
    assert period_phrase(window, i18n.language("ar")) == expected


def test_arabic_has_six_plural_forms_for_the_subject() -> None:
    ar = i18n.language("ar")
    forms = {
        n: ar.ngettext(
            "%(site)s: %(num)s new post %(period)s",
            "%(site)s: %(num)s new posts %(period)s",
            n,
            site="S",
            period="هذا الأسبوع",
        )
        for n in (0, 1, 2, 3, 11, 100)
    }
    assert forms == {
        0: "S: لا تدوينات جديدة هذا الأسبوع",
        1: "S: تدوينة جديدة واحدة هذا الأسبوع",
        2: "S: تدوينتان جديدتان هذا الأسبوع",
        3: "S: 3 تدوينات جديدة هذا الأسبوع",
        11: "S: 11 تدوينة جديدة هذا الأسبوع",
        100: "S: 100 تدوينة جديدة هذا الأسبوع",
    }


def test_french_counts_zero_as_singular_and_english_does_not() -> None:
    fr, en = i18n.language("fr"), i18n.language("en")
    singular, plural = (
        "%(site)s: %(num)s new post %(period)s",
        "%(site)s: %(num)s new posts %(period)s",
    )
    values = {"site": "S", "period": "p"}
    assert fr.ngettext(singular, plural, 0, **values) == "S\u00a0: 0 nouvel article p"
    assert fr.ngettext(singular, plural, 2, **values) == "S\u00a0: 2 nouveaux articles p"
    assert en.ngettext(singular, plural, 0, **values) == "S: 0 new posts p"


def test_the_default_subject_and_bylines_are_in_the_site_language(sample_config: Config) -> None:
    config = localised(sample_config, "de")
    result = build(config, write=False)
    assert result.rendered.subject == "Leading Well: 8 neue Beiträge diese Woche"
    # (the section "Leadership" is not repeated; the date's spaces do not break)
    assert result.digest.entries[0].byline == "Priya Raman · 26.\u00a0November\u00a02026"
    assert "Weiterlesen" in result.rendered.html and "Abmelden" in result.rendered.html
    assert "Read more" not in result.rendered.html + result.rendered.text


@pytest.mark.parametrize("lang", SHIPPED)
def test_the_unsubscribe_link_is_found_in_every_language(sample_config: Config, lang: str) -> None:
    """The build's own check knows "Se désabonner" and "إلغاء الاشتراك" as unsubscribe links."""
    result = build(localised(sample_config, lang), write=False)
    assert [w for w in result.warnings if "unsubscribe" in str(w)] == []


def test_an_empty_digest_says_so_in_the_site_language(tmp_config, write_post) -> None:
    write_post("2026-10-01-old.md", "---\ntitle: Old\n---\nBody.\n", raw=True)
    config = tmp_config(until=UNTIL, language="ja")
    result = build(config, write=False, allow_empty=True)
    assert "今週の新着記事はありません。次号をお楽しみに。" in result.rendered.text
    assert "今週の新着記事はありません。" in result.rendered.html


def test_the_archive_index_is_in_the_site_language() -> None:
    from types import SimpleNamespace

    from digest.templates import make_environment

    def index(tag: str, posts: int) -> str:
        issue = SimpleNamespace(id="2026-11-26", subject="S", until=UNTIL, posts=["p"] * posts)
        template = make_environment(None, tag).get_template("archive.html.j2")
        return template.render(site_name="Blog", language=tag, editions=[("digest", [issue])])

    german = index("de", 3)
    assert "<h1>Blog: frühere Ausgaben</h1>" in german
    assert "26. November 2026 · 3 Beiträge" in german
    arabic = index("ar", 2)
    assert '<html lang="ar" dir="rtl">' in arabic and "· تدوينتان" in arabic
    assert "Blog: past issues" in index("en", 1) and "· 1 post<" in index("en", 1)


# --- fallbacks and validation ----------------------------------------------------------------


def test_a_regional_tag_falls_back_to_its_language_catalog() -> None:
    brazil = i18n.language("pt-BR")
    assert brazil.has_catalog
    assert brazil.gettext("Read more") == "Leia mais"
    assert brazil.format_date(UNTIL) == "26 de novembro de 2026"
    assert i18n.language("de-AT").gettext("Unsubscribe") == "Abmelden"


def test_a_language_without_a_catalog_stays_english_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "digest.toml").write_text('[site]\nlanguage = "ko"\n', encoding="utf-8")
    config = load_config(tmp_path / "digest.toml")
    messages = [w.message for w in config.warnings]
    assert any("'ko'" in m and "English" in m and "locale/ko/LC_MESSAGES" in m for m in messages)
    korean = i18n.language("ko")
    assert korean.gettext("Read more") == "Read more"
    assert korean.format_date(UNTIL) == "2026년 11월 26일"  # CLDR ko long: y년 MMMM d일


def test_english_needs_no_catalog_and_no_warning(tmp_path: Path) -> None:
    (tmp_path / "digest.toml").write_text('[site]\nlanguage = "en-AU"\n', encoding="utf-8")
    assert load_config(tmp_path / "digest.toml").warnings == ()


@pytest.mark.parametrize("tag", ["klingon", "xx", "en-", "12", ""])
def test_a_tag_babel_does_not_know_is_refused_naming_the_key(tmp_path: Path, tag: str) -> None:
    (tmp_path / "digest.toml").write_text(f'[site]\nlanguage = "{tag}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "digest.toml")
    assert "[site] language" in str(caught.value)


def test_a_language_set_in_code_is_checked_too(sample_config: Config) -> None:
    with pytest.raises(ConfigError, match=r"\[site\] language"):
        build(sample_config.but(until=UNTIL, language="klingon"), write=False)


def test_tags_are_written_the_bcp_47_way(tmp_path: Path) -> None:
    (tmp_path / "digest.toml").write_text('[site]\nlanguage = "pt_br"\n', encoding="utf-8")
    assert load_config(tmp_path / "digest.toml").site.language == "pt-BR"


# --- the user's catalogs ---------------------------------------------------------------------

USER_PO = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"

msgid "Read more"
msgstr "Lire l'article"

msgid "Read more: %(url)s"
msgstr "Lire l'article : %(url)s"
"""


def user_catalog(templates: Path, lang: str, text: str) -> Path:
    path = templates / "locale" / lang / "LC_MESSAGES" / "digest.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_user_catalog_overrides_single_messages_of_the_builtin_one(
    sample_config: Config, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    user_catalog(templates, "fr", USER_PO)
    config = localised(sample_config, "fr").but(templates_dir=templates)
    result = build(config, write=False)
    html, text = result.rendered.html, result.rendered.text
    assert "Lire l'article<span" in html
    assert "Lire l'article : https://" in text
    assert "Lire la suite<span" not in html and "Lire la suite" not in text
    # the link's accessible name is another message, which the user's file leaves alone
    assert 'aria-label="Lire la suite\u00a0: ' in html  # (as a character, not "\\u{a0}")
    # what the user's file leaves out still comes from the built-in French catalog
    assert "Se désabonner" in html and "cette semaine" in result.rendered.subject


def test_a_user_catalog_adds_a_language(sample_config: Config, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    user_catalog(templates, "eo", 'msgid ""\nmsgstr ""\n\nmsgid "Read more"\nmsgstr "Legu pli"\n')
    assert i18n.missing_catalog_warning("eo", templates) is None
    assert i18n.missing_catalog_warning("eo", None) is not None
    result = build(localised(sample_config, "eo").but(templates_dir=templates), write=False)
    assert "Legu pli" in result.rendered.html


def test_an_edited_user_catalog_is_read_again(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    path = user_catalog(templates, "fr", USER_PO)
    assert i18n.language("fr", templates).gettext("Read more") == "Lire l'article"
    path.write_text(USER_PO.replace("Lire l'article\"", 'Lisez-moi"'), encoding="utf-8")
    assert i18n.language("fr", templates).gettext("Read more") == "Lisez-moi"


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ('msgid "Read more"\nmsgstr "Lire\n', 2, "not a .po line"),  # unterminated string
        ('msgid "Read more"\nmsgstr "x"\nbogus line\n', 3, "not a .po line"),
        ('msgid "Read more"\nmsgid "x"\nmsgstr "y"\n', 1, "missing msgstr"),
        ('\n\nmsgid "Read more: %(url)s"\nmsgstr "Lire : %(lien)s"\n', 3, "%(lien)s"),
    ],
)
def test_a_broken_user_catalog_is_an_error_naming_the_file_and_line(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    path = user_catalog(tmp_path / "templates", "fr", text)
    with pytest.raises(TemplateError) as caught:
        i18n.language("fr", tmp_path / "templates")
    assert caught.value.where == f"{path}:{line}"
    assert problem in str(caught.value)


def test_a_user_catalog_saved_in_latin_1_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = user_catalog(tmp_path / "templates", "fr", "")
    path.write_bytes(b'msgid "a"\nmsgstr "a"\n\nmsgid "b"\nmsgstr "\xe9"\n')
    with pytest.raises(TemplateError) as caught:
        i18n.language("fr", tmp_path / "templates")
    assert caught.value.where == f"{path}:5"
    assert "not valid UTF-8" in str(caught.value)


def test_the_cli_reports_a_broken_user_catalog_in_one_line(
    project: Path, runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = user_catalog(project / "templates", "fr", 'msgid "Read more"\nmsgstr "Lire\n')
    toml = project / "digest.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('language = "en-GB"', 'language = "fr"'),
        encoding="utf-8",
    )
    monkeypatch.chdir(project)
    result = runner.invoke(main, ["build", "--until", "2026-11-26", "--no-cache"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert f"{path}:2" in result.output and "not a .po line" in result.output


# --- right to left ---------------------------------------------------------------------------


def test_arabic_documents_are_right_to_left(sample_config: Config) -> None:
    html = build(localised(sample_config, "ar"), write=False).rendered.html
    assert '<html lang="ar" dir="rtl"' in html
    assert "text-align:right" in html and "direction:rtl" in html
    assert ("اقرأ المزيد" in html and "&#8592;" in html) or "←" in html
    french = build(localised(sample_config, "fr"), write=False).rendered.html
    assert '<html lang="fr" dir="ltr"' in french and "direction:rtl" not in french


def test_no_break_spaces_and_combining_marks_survive_in_attributes(sample_config: Config) -> None:
    """mjml-python writes them in attribute values as Rust escapes ("\\u{a0}"): the French
    subject ("Leading Well\u00a0: …", the wrapper's aria-label) and "Lire la suite\u00a0:"."""
    for tag in ("fr", "ar"):
        html = build(localised(sample_config, tag), write=False).rendered.html
        assert "\\u{" not in html, tag
    html = build(localised(sample_config, "fr"), write=False).rendered.html
    assert 'aria-label="Lire la suite\u00a0: Saying no' in html
    assert "<title>Leading Well\u00a0: 8 nouveaux articles cette semaine</title>" in html


@pytest.mark.parametrize("tag", ["he", "fa", "ur"])
def test_other_right_to_left_languages_are_known_from_cldr(tag: str) -> None:
    assert i18n.language(tag).direction == "rtl"


# --- golden files: one language besides English ---------------------------------------------


def test_golden_sample_digest_in_french(sample_config: Config, golden) -> None:
    """The sample in French, byte for byte. Regenerate with: pytest --update-golden"""
    result = build(localised(sample_config, "fr"), write=False)
    golden("sample.fr.html", result.rendered.html)
    golden("sample.fr.txt", result.rendered.text)


# --- East Asian text in the text part --------------------------------------------------------

JAPANESE = (
    "日本語の文章には単語の間に空白がないため、表示幅で折り返さなければ一行が非常に長く"
    "なってしまいます。「かぎかっこ」や句読点は、行頭や行末の禁則に従って配置されます。"
    "詳しくは https://example.org/a/very/long/address/that/stays/whole を参照してください。"
)


def test_japanese_wraps_by_display_width() -> None:
    lines = wrap(JAPANESE, 40).splitlines()
    assert len(lines) > 3
    for line in lines:
        if "https://" not in line:
            assert display_width(line) <= 40, line
        assert not line.startswith(("、", "。", "」", "ー")), line  # kinsoku: no closing mark first
        assert not line.endswith("「"), line
    assert "https://example.org/a/very/long/address/that/stays/whole" in wrap(JAPANESE, 40)
    assert "".join(lines).replace(" ", "") == JAPANESE.replace(" ", "")


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("日本") == 4
    assert display_width("ｶﾀｶﾅ") == 4  # halfwidth katakana: one column each
    assert display_width("Ａ") == 2  # fullwidth Latin
    assert display_width("é") == 1


def test_english_wraps_exactly_as_before() -> None:
    text = "word " * 40 + "https://example.org/" + "x" * 80
    assert wrap(text) == textwrap.fill(
        " ".join(text.split()), width=72, break_long_words=False, break_on_hyphens=False
    )


def test_the_text_part_of_a_japanese_digest_fits_72_columns(tmp_config, write_post) -> None:
    write_post(
        "2026-11-25-nihongo.md",
        f"---\ntitle: 日本語の記事\ncategories: [お知らせ]\n---\n{JAPANESE}\n",
        raw=True,
    )
    config = tmp_config(until=UNTIL, language="ja", excerpt_words=400)
    text = build(config, write=False).rendered.text
    assert "日本語の文章には" in text
    for line in text.splitlines():
        if "://" not in line:
            assert display_width(line) <= 72, line
    # the underline of a section title is as wide as the title looks
    assert "お知らせ\n--------\n" in text


# --- Chromium: the right-to-left layout at phone and desktop widths -------------------------

RTL_JS = """() => {
  const rect = (e) => e.getBoundingClientRect();
  const textRect = (el) => { const r = document.createRange(); r.selectNodeContents(el); return r.getBoundingClientRect(); };
  const blocks = [...document.querySelectorAll('.card div, .masthead div, .byline div')]
    .filter(d => d.children.length === 0 && d.textContent.trim() && rect(d).width > 0);
  const misaligned = blocks.filter(d => {
      const box = rect(d), text = textRect(d);
      return text.width < box.width - 40 && Math.abs(text.right - box.right) > 1.5;
  }).map(d => d.textContent.trim().slice(0, 40));
  const more = [...document.querySelectorAll('.read-more a')].map(a => {
      const arrow = a.querySelector('span');
      const words = document.createRange(); words.setStart(a.firstChild, 0); words.setEnd(a.firstChild, a.firstChild.length);
      return {words: words.getBoundingClientRect().left, arrow: rect(arrow).right, text: a.firstChild.textContent};
  });
  return {
    dir: document.documentElement.dir, lang: document.documentElement.lang,
    bodyDirection: getComputedStyle(document.querySelector('.card div')).direction,
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
    checked: blocks.length, misaligned, more,
  };
}"""


@pytest.fixture(scope="module")
def arabic_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist-ar")
    config = localised(sample_config_in(out), "ar").but(out_dir=out)
    result = build(config, write=False)
    write_build(out, result.digest, result.rendered)
    return out / "digest.html"


@pytest.mark.parametrize("width", [375, 600])
def test_arabic_layout_is_mirrored_in_chromium(browser: Any, arabic_html: Path, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.route("**/*", offline)
    page.goto(arabic_html.as_uri())
    page.wait_for_load_state("load")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"digest-ar-{width}.png"), full_page=True)
    layout = page.evaluate(RTL_JS)
    page.close()
    assert (layout["dir"], layout["lang"]) == ("rtl", "ar")
    assert layout["bodyDirection"] == "rtl"
    assert layout["scrollWidth"] <= layout["innerWidth"], "horizontal overflow"
    # every short line of text ends at the right edge of its block
    assert layout["checked"] >= 10
    assert layout["misaligned"] == [], layout["misaligned"]
    # reading order: "اقرأ المزيد" first (on the right), then the arrow, pointing left
    assert len(layout["more"]) == 8
    for link in layout["more"]:
        assert link["text"] == "اقرأ المزيد"
        assert link["arrow"] <= link["words"] + 0.5, link


def test_the_text_part_keeps_no_break_spaces_when_wrapping() -> None:
    """A date written with no-break spaces stays on one line of the text part too."""
    from digest.templates import paragraphs, wrap

    byline = "Jo Writer · November\u00a024,\u00a02026 · Release notes"
    assert "November\u00a024,\u00a02026" in wrap(byline, width=20)
    assert all("November" not in line or "2026" in line for line in wrap(byline, 20).splitlines())
    assert paragraphs("a\u00a0b  c\n\nd") == ["a\u00a0b c", "d"]


def test_posts_keep_their_own_direction_in_a_right_to_left_email(sample_config: Config) -> None:
    """An English excerpt in an Arabic email ends with its full stop, not begins with it."""
    result = build(localised(sample_config, "ar"), write=False)
    doc = lxml.html.fromstring(result.rendered.html)
    assert doc.get("dir") == "rtl"
    for entry in result.digest.entries:
        titles = doc.xpath("//a[@dir='auto']")
        assert any(a.text_content() == entry.post.title for a in titles), entry.post.title
    excerpts = [d.text_content() for d in doc.xpath("//div[@dir='auto']")]
    assert len(excerpts) == len(result.digest.entries)


def test_the_one_column_fast_path_agrees_with_char_width() -> None:
    """The shortcut the text part's wrapping takes for Latin text measures as char_width does."""
    from digest.templates import _ONE_COLUMN, char_width

    for code in range(0x3000):
        char = chr(code)
        if _ONE_COLUMN.fullmatch(char):
            assert char_width(char) == 1, hex(code)
