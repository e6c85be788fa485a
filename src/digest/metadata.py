"""One post's text → a :class:`~digest.models.Post`: frontmatter, fields, date, URL."""

from __future__ import annotations

from .config import Config
from .fields import authors, flag, image_of, is_draft, terms, text_field, unique
from .front_matter import Skip, split_frontmatter
from .links import absolute_url
from .models import Post
from .sites import rules_for


def parse_post(text: str, rel: str, config: Config) -> Post | None:
    """One file's text → a Post without its body, or None for a draft. Raises :class:`Skip`.

    Bodies stay on disk: :func:`with_bodies` reads them for the selected posts only.
    """
    meta, _body = split_frontmatter(text)
    site = rules_for(config)  # the generator's rules: what is published, and where
    if is_draft(meta) or site.unpublished(meta, rel):
        return None
    title = text_field(meta.get("title"), "title", entities=True)
    if not title:
        raise Skip("no title: add a 'title' field")
    when, slug = site.date_and_slug(meta, rel)
    categories = terms(meta.get("categories", meta.get("category")), "category")
    tags = terms(meta.get("tags", meta.get("tag")), "tag")
    if config.selection.tags_as_categories:
        categories += tags
    cats = unique(categories)
    excerpt = None
    for key in ("excerpt", "summary", "description"):
        if isinstance(meta.get(key), str) and meta[key].strip():
            excerpt = meta[key]
            break
    image, image_alt = image_of(meta)
    return Post(
        source=rel,
        title=title,
        date=when,
        url=site.url(meta, rel, when, slug, cats),
        author=authors(meta, config.site_data.authors),
        categories=cats,
        tags=unique(tags),
        excerpt=excerpt,
        image=absolute_url(image, config.site.url) if image else None,
        image_alt=image_alt,
        featured=flag(meta.get("featured")) is True,
    )
