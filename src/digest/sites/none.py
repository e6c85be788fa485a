"""``none``: digest's own rules, for a folder of Markdown from any or no generator.

Every Markdown file is a post (section pages ``_index.md`` and ``_drafts``
aside, as the folder walk already does); the URL is a ``url``, ``permalink``
or ``path`` field, else ``[site] permalink`` (``:year/:month/:day/:slug/``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Profile, Rules, resolved

if TYPE_CHECKING:
    from ..config import Config


class NoneProfile(Profile):
    name = "none"

    def rules(self, config: Config) -> Rules:
        return Rules(
            generator=self.name,
            base_url=config.site.url,
            posts=resolved(config.paths.posts),
            timezone=config.site.tz,
            permalink=config.site.permalink,
        )
