"""Build the versioned docs site: ``latest`` and each package's released versions.

    python tools/docs_versions.py [--out docs/_build/site] [--keep 5]

Why per-tag builds and not sphinx-multiversion: our tags are per package
(``bricolage-<name>-v<version>``) while the site is one, so a "version" is a package's
release, not a state of the whole repository. For each tag (the newest ``--keep`` per
package) the tag's tree is exported with ``git archive`` and its ``docs/`` are
built with *today's* configuration (``sphinx-build -c docs``), so every build carries the
same theme and version switcher; autodoc imports that tag's sources (they come first on
``PYTHONPATH``). The layout:

    site/index.html              -> redirects to latest/
    site/versions.json           -> {"latest": "latest/", "packages": {name: [releases]}}
    site/latest/                 -> main, with the quality page
    site/<name>/<version>/       -> the site as of tag bricolage-<name>-v<version>

The switcher (``docs/_static/version-switcher.js``) reads ``versions.json``: on a package's
pages it offers ``latest`` and that package's releases, keeping the reader on the same page.
``latest`` is built with warnings as errors; older releases are built as they were (their
warnings are shown, not fatal: a page written for an older release may reference what has
moved since).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TAG = re.compile(r"^bricolage-(?P<package>[a-z0-9]+)-v(?P<version>\d+\.\d+\.\d+\S*)$")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def releases(keep: int) -> dict[str, list[tuple[str, str]]]:
    """Per package, its newest ``keep`` releases as (version, tag), newest first."""
    tags = subprocess.run(
        ["git", "tag", "--list", "bricolage-*-v*"],  # noqa: S607 - git from PATH
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    found: dict[str, list[tuple[str, str]]] = {}
    for tag in tags:
        match = TAG.match(tag)
        if match:
            found.setdefault(match["package"], []).append((match["version"], tag))
    return {
        package: sorted(items, key=lambda item: _version_key(item[0]), reverse=True)[:keep]
        for package, items in sorted(found.items())
    }


def _sphinx(source: Path, out: Path, env: dict[str, str], *, strict: bool) -> None:
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-c", str(ROOT / "docs")]
    if strict:
        command += ["-W", "--keep-going"]
    subprocess.run([*command, str(source), str(out)], env=env, check=True)  # noqa: S603


def _export(tag: str, into: Path) -> None:
    """The tag's tree, as files: its docs include the READMEs of packages and examples."""
    archive = into / "tag.tar"
    with archive.open("wb") as handle:
        subprocess.run(  # noqa: S603 - the tag comes from `git tag`
            ["git", "archive", "--format=tar", tag],  # noqa: S607
            cwd=ROOT,
            stdout=handle,
            check=True,
        )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    archive.unlink()


def build(out: Path, keep: int) -> dict[str, list[dict[str, str]]]:
    """Build the site into ``out``; return the releases built, per package."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    base_env = dict(os.environ)

    print("docs: latest", flush=True)
    _sphinx(
        ROOT / "docs",
        out / "latest",
        dict(base_env, BRICOLAGE_DOCS_VERSION="latest", BRICOLAGE_DOCS_SITE_ROOT="../"),
        strict=True,
    )
    packages: dict[str, list[dict[str, str]]] = {}
    for package, items in releases(keep).items():
        for version, tag in items:
            print(f"docs: {tag}", flush=True)
            with tempfile.TemporaryDirectory() as tmp_name:
                tmp = Path(tmp_name)
                _export(tag, tmp)
                sources = sorted(str(p) for p in (tmp / "packages").glob("*/src"))
                env = dict(
                    base_env,
                    BRICOLAGE_DOCS_VERSION=version,
                    BRICOLAGE_DOCS_PACKAGE=package,
                    BRICOLAGE_DOCS_SITE_ROOT="../../",
                    BRICOLAGE_DOCS_QUALITY="0",
                    PYTHONPATH=os.pathsep.join([*sources, base_env.get("PYTHONPATH", "")]),
                )
                _sphinx(tmp / "docs", out / package / version, env, strict=False)
            packages.setdefault(package, []).append(
                {"version": version, "tag": tag, "path": f"{package}/{version}/"}
            )
    site = {"latest": "latest/", "packages": packages}
    (out / "versions.json").write_text(json.dumps(site, indent=2) + "\n", encoding="utf-8")
    (out / "index.html").write_text(
        '<!doctype html><meta charset="utf-8"><title>bricolage</title>'
        '<meta http-equiv="refresh" content="0; url=latest/">'
        '<link rel="canonical" href="latest/"><a href="latest/">bricolage documentation</a>\n',
        encoding="utf-8",
    )
    (out / ".nojekyll").write_text("", encoding="utf-8")
    return packages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "_build" / "site")
    parser.add_argument("--keep", type=int, default=5, help="releases kept per package")
    args = parser.parse_args(argv)
    packages = build(args.out, args.keep)
    count = sum(len(v) for v in packages.values())
    print(f"docs: site in {args.out}: latest and {count} releases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
