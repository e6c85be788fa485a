"""Derive each corpus's published URLs from the raw files and the generators' documented
rules, independently of digest's code (standard library + PyYAML only)."""
import json, os, re, tomllib, unicodedata, datetime as dt
from zoneinfo import ZoneInfo
import yaml
C = "/work/shared/corpora"

def front(path):
    text = open(path, encoding="utf-8").read()
    if text.startswith("+++"):
        return tomllib.loads(text.split("+++", 2)[1])
    return yaml.load(text.split("---", 2)[1], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}

def day_in(value, zone):
    """A front-matter date's calendar day in the site's zone (Jekyll: Time#localtime)."""
    if isinstance(value, dt.datetime):
        return (value.astimezone(zone) if value.tzinfo else value).date()
    if isinstance(value, dt.date):
        return value
    s = str(value).strip()
    m = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?(?:\s+\d{4})?\s*(?:([+-])(\d{1,2}):?(\d{2})?|Z)?\s*$", s)
    y, mo, d, H, M, S, sign, oh, om = m.groups()
    naive = dt.datetime(int(y), int(mo), int(d), int(H or 0), int(M or 0), int(S or 0))
    if sign:
        off = dt.timedelta(hours=int(oh), minutes=int(om or 0)) * (1 if sign == "+" else -1)
        return naive.replace(tzinfo=dt.timezone(off)).astimezone(zone).date()
    if s.endswith("Z"):
        return naive.replace(tzinfo=dt.UTC).astimezone(zone).date()
    return naive.date()

out = {}
# Jekyll (jekyllrb.com/docs/permalinks): /news/:year/:month/:day/:title/, date in America/Los_Angeles,
# :title = the file name's part after YYYY-MM-DD- (all lowercase ASCII here).
la = ZoneInfo("America/Los_Angeles"); urls = {}
for name in sorted(os.listdir(f"{C}/jekyll/posts")):
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})-(.*)\.(?:markdown|md)$", name)
    fm = front(f"{C}/jekyll/posts/{name}")
    d = day_in(fm["date"], la) if "date" in fm else dt.date(*map(int, m.groups()[:3]))
    urls[name] = f"https://jekyllrb.com/news/{d:%Y/%m/%d}/{m.group(4)}/"
out["jekyll"] = urls
# Zola (getzola.org/documentation/content/page): base_url + "/" + path + "/".
urls = {}
for root, _, files in os.walk(f"{C}/rust-blog/posts"):
    for f in files:
        if f.endswith(".md") and f != "_index.md":
            p = os.path.join(root, f); rel = os.path.relpath(p, f"{C}/rust-blog/posts")
            urls[rel] = "https://blog.rust-lang.org/" + front(p)["path"].strip("/") + "/"
out["rust-blog"] = dict(sorted(urls.items()))
# MkDocs Material blog: site_url + articles/ + {date:yyyy/MM/dd}/{slug}/ (slug field as written).
urls = {}
for f in sorted(os.listdir(f"{C}/nhs-datascience/posts")):
    fm = front(f"{C}/nhs-datascience/posts/{f}")
    d = fm["date"]; d = d["created"] if isinstance(d, dict) else d
    urls[f] = f"https://nhsengland.github.io/datascience/articles/{d:%Y/%m/%d}/{fm['slug']}/"
out["nhs-datascience"] = urls
# 18F (Eleventy, posts.11tydata.js): /<page.date YYYY/MM/DD>/<fileSlug>/; fileSlug is the file
# name without its date prefix (a bundle's folder name for index.md); page.date is the date field
# else the file name's date.
ny = ZoneInfo("America/New_York"); urls = {}
for root, _, files in os.walk(f"{C}/18f/posts"):
    for f in files:
        if not f.endswith(".md"): continue
        p = os.path.join(root, f); rel = os.path.relpath(p, f"{C}/18f/posts")
        stem = os.path.basename(root) if f == "index.md" else f[:-3]
        m = re.match(r"(\d{4})-(\d{2})-(\d{2})-(.*)$", stem)
        slug = m.group(4) if m else stem
        fm = front(p)
        d = day_in(fm["date"], ny) if fm.get("date") else dt.date(*map(int, m.groups()[:3]))
        urls[rel] = f"https://18f.gsa.gov/{d:%Y/%m/%d}/{slug}/"
out["18f"] = dict(sorted(urls.items()))
for k, v in out.items(): print(k, len(v))
json.dump(out, open("/tmp/x/urls.json", "w"), indent=1, ensure_ascii=False)
# cross-check with the spot checks and the selections already recorded in tests/expected/corpora.json
old = json.load(open("/work/wt/sites/tests/expected/corpora.json"))
for k in out:
    for src, url in old[k]["selected"].items():
        if out[k].get(src) != url: print("MISMATCH", k, src, out[k].get(src), url)
