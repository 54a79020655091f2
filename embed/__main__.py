"""The `policyqa` command line: index, ask, search, summarize, serve, eval (heavy imports inside handlers)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .config import Settings
from .errors import PolicyQAError

log = logging.getLogger("policyqa")

Handler = Callable[[argparse.Namespace], int]

_NOT_TEXT = re.compile(r"[\ud800-\udfff]")
"""Lone surrogates: how Python carries command-line bytes that are not valid UTF-8."""

RAY_HELP = "run the batch work on the Ray cluster at ADDRESS (host:port), or 'local' (default: $RAY_ADDRESS)"
BACKEND_HELP = "keep the index in Milvus: milvus://HOST:PORT/COLLECTION or milvus:///FILE.db/COLLECTION"


def _dump(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False))


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        index_dir=getattr(args, "index_dir", None),
        model=getattr(args, "model", None),
        user_dict=getattr(args, "user_dict", None),
        ray=getattr(args, "ray", None),
        backend=getattr(args, "backend", None),
    )


def cmd_index(args: argparse.Namespace) -> int:
    """Build (or, with --add/--remove, update) the index."""
    from .pipeline import build, update

    settings = _settings(args)
    if (args.add or args.remove) and (args.paths or args.model):
        args.parser.error("--add/--remove update the index with its own model: give no PATH or --model")
    if args.add or args.remove:
        report = update(settings, add=args.add or [], remove=args.remove or [])
    else:
        report = build(settings, args.paths or [settings.seeds_dir])
    _dump(report)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """Print the passages for a query, one JSON object per line (or readable text)."""
    from .archive import Archive

    hits = Archive.open(_settings(args)).search(args.query, k=args.top_k, mode=args.mode)
    for rank, hit in enumerate(hits, 1):
        if args.json:
            _dump(hit.to_dict())
        else:
            c = hit.chunk
            print(f"[{rank}] {c.title}（{c.date or '日期不详'}，{c.article_id}）score={hit.score:.4f}")
            print(f"    {c.text}\n")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    """Print the extractive answer with its cited passages."""
    from .archive import Archive

    answer = Archive.open(_settings(args)).ask(args.question, k=args.top_k)
    if args.json:
        _dump(answer.to_dict())
        return 0
    if not answer.sentences:
        print(answer.message or "")
        return 0
    print("".join(f"{s.text}[{s.passage + 1}]" for s in answer.sentences))
    print(f"  置信度 confidence {answer.confidence:.2f}")
    for i in sorted({s.passage for s in answer.sentences}):
        c = answer.hits[i].chunk
        where = f"{c.source} p. {c.page}" if c.page is not None else c.source
        print(f"  [{i + 1}] {c.title}（{c.date or '日期不详'}，{where}）")
    return 0


def cmd_summarize(args: argparse.Namespace) -> int:
    """Summarize every article of the given files into OUT (or stdout as JSON lines)."""
    from .batch.batch import summarize_corpus

    report = summarize_corpus(
        args.paths,
        out=args.output,
        fmt=args.format,
        max_chars=args.max_chars,
        workers=args.workers,
        force=args.force,
        ray=_settings(args).ray,
    )
    print(json.dumps(report.to_dict(), ensure_ascii=False), file=sys.stderr)
    if report.articles == 0:
        print("policyqa: error: no articles found in the given paths", file=sys.stderr)
        return 2
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Build the index from seeds/ if there is none, then serve the API and chat page."""
    from api.main import run

    def announce(url: str) -> None:
        print(f"policyqa: serving on {url}", file=sys.stderr, flush=True)

    run(_settings(args), args.host, args.port, on_ready=announce)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Retrieval/answer metrics on a QA file, or ROUGE of summaries beside the lead baseline."""
    if args.summaries:
        from .eval.summary import evaluate_summaries

        result = evaluate_summaries(args.summaries, max_chars=args.max_chars)
    else:
        from .pipeline import evaluate

        result = evaluate(_settings(args), args.qa, k=args.top_k, corpus=args.corpus)
    if args.json:
        _dump(result)
    else:
        _print_table(result)
    return 0


def _print_table(result: dict) -> None:
    """Rows of metrics side by side (search modes, or system vs lead), then answers beside the baselines."""
    nested = {
        k: v for k, v in result.items() if isinstance(v, dict) and k not in ("calibration", "baselines")
    }
    rows = result.get("modes") or {"system": result, **nested}
    if "ask_order" in result:
        rows = {**rows, "ask order": result["ask_order"]}
    _print_rows(rows, f"n={result.get('n', '?')}")
    if "baselines" in result:
        answers = {"policyqa": result, **result["baselines"]}
        print()
        _print_rows(
            answers, "answers", keys=("answer_hit", "first_hit", "answer_chars", "answered", "declined")
        )
        calibration = result.get("calibration") or {}
        if calibration:
            print(f"confidence: brier {calibration['brier']:.4f}, ece {calibration['ece']:.4f}")


def _print_rows(rows: dict[str, dict], corner: str, keys: Sequence[str] | None = None) -> None:
    first = next(iter(rows.values()), {})
    keys = keys or [k for k, v in first.items() if isinstance(v, int | float) and k not in ("n", "max_chars")]
    keys = [k for k in keys if any(k in row for row in rows.values())]
    print(f"{corner:14}" + "".join(f"{k:>14}" for k in keys))
    for name, row in rows.items():
        print(f"{name:14}" + "".join(f"{row.get(k, float('nan')):>14.4f}" for k in keys))


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {raw}")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="policyqa", description="问答与摘要：中文新闻档案 / Chinese news QA.")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True)

    def command(
        name: str, handler: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.add_argument(
            "--index-dir", type=Path, help="index folder (default .policyqa/ here; env POLICYQA_INDEX_DIR)"
        )
        sp.set_defaults(handler=handler, parser=sp)
        if name in ("index", "ask", "search", "serve", "eval"):
            sp.add_argument("--backend", metavar="URI", help=BACKEND_HELP)
        if name in ("index", "summarize"):
            sp.add_argument("--ray", metavar="ADDRESS", help=RAY_HELP)
        return sp

    sp = command("index", cmd_index, "clean, chunk, embed and index files or folders (default seeds/)")
    sp.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="files or folders to index (default: seeds/); folders are read recursively",
    )
    sp.add_argument(
        "--model",
        help="embedding model: 'builtin' (default: fitted offline on the corpus) or a sentence-transformers "
        "folder or hub name (env POLICYQA_MODEL)",
    )
    sp.add_argument(
        "--user-dict",
        type=Path,
        help="extra words the tokenizer keeps whole, one per line (env POLICYQA_USER_DICT)",
    )
    sp.add_argument(
        "--add",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="add new or changed articles to the existing index",
    )
    sp.add_argument("--remove", nargs="+", metavar="ARTICLE_ID", help="remove articles from the index by id")

    helps = {
        "ask": "answer a question with sentences copied from the archive, cited, with a confidence",
        "search": "the passages that best match a query (keyword + meaning search), with highlights",
    }
    for name, handler, what in (("ask", cmd_ask, "question"), ("search", cmd_search, "query")):
        sp = command(name, handler, helps[name])
        sp.add_argument(
            what, help="中文问题 / the question" if name == "ask" else "中文查询 / words to look for"
        )
        sp.add_argument("--top-k", type=_positive_int, default=5, help="passages to return (default 5)")
        sp.add_argument(
            "--json", action="store_true", help="print JSON (one object; search: one line a passage)"
        )
        if name == "search":
            sp.add_argument(
                "--mode",
                choices=("hybrid", "bm25", "dense"),
                default="hybrid",
                help="hybrid (default): BM25 and the embedding model fused; bm25: words; dense: model",
            )

    sp = command("summarize", cmd_summarize, "offline batch summaries of every article found")
    sp.add_argument(
        "paths", nargs="+", type=Path, help="files or folders of articles (read as `index` reads them)"
    )
    sp.add_argument(
        "-o", "--output", type=Path, help="output file, resumed when rerun (default: JSON lines on stdout)"
    )
    sp.add_argument(
        "--format",
        choices=("jsonl", "md", "csv"),
        default=None,
        help="output format (default: from the -o suffix .jsonl/.md/.csv; another suffix needs --format)",
    )
    sp.add_argument(
        "--max-chars",
        type=_positive_int,
        default=200,
        help="summary budget: whole sentences are added while shorter than this (default 200)",
    )
    sp.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help="parallel worker processes (default: one per core)",
    )
    sp.add_argument(
        "--force", action="store_true", help="redo articles already in OUT instead of reusing them"
    )

    sp = command("serve", cmd_serve, "the HTTP API and chat page")
    sp.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)"
    )
    sp.add_argument("--port", type=_positive_int, default=8000, help="port to listen on (default 8000)")

    sp = command("eval", cmd_eval, "retrieval/answer metrics (--qa) or summary ROUGE (--summaries)")
    what = sp.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--qa",
        type=Path,
        help="JSONL {qid, question, answers[, context_id]}: retrieval per mode, answers beside baselines; "
        'lines with "answers": [] count as questions to decline',
    )
    what.add_argument(
        "--summaries", type=Path, help="JSONL {id, text, summary}: ROUGE beside the lead sentences"
    )
    sp.add_argument("--corpus", nargs="+", type=Path, help="index these into a fresh temporary index first")
    sp.add_argument("--model", help="embedding model for --corpus (default builtin)")
    sp.add_argument("--top-k", type=_positive_int, default=5, help="passages the answer uses (default 5)")
    sp.add_argument(
        "--max-chars", type=_positive_int, default=150, help="summary budget for --summaries (default 150)"
    )
    sp.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `policyqa` console script."""
    parser = _parser()
    for arg in sys.argv[1:] if argv is None else argv:
        if _NOT_TEXT.search(arg):
            # Python turns bytes that are not UTF-8 into lone surrogates, which fail much later, deep in
            # the tokenizer or the model, with a traceback.
            shown = os.fsencode(arg).decode("utf-8", "backslashreplace")
            print(f"policyqa: error: argument '{shown[:80]}' is not valid UTF-8 text", file=sys.stderr)
            return 2
    args = parser.parse_args(argv)
    try:
        Settings.from_env()
    except ValueError as exc:  # a bad POLICYQA_* variable is a usage error, said once
        parser.error(str(exc))
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        # jieba and bm25s log every load at DEBUG, and jieba resets its level when imported (later, lazily),
        # so a filter, not a level, keeps a plain run quiet.
        for noisy in ("jieba", "bm25s"):
            logging.getLogger(noisy).addFilter(lambda record: record.levelno >= logging.WARNING)
    try:
        return args.handler(args)
    except (PolicyQAError, OSError) as exc:
        # Bad input (BadInputError and the library's other typed errors) and paths the system refused: one
        # line saying what is wrong, not a traceback. A bare ValueError is a bug and keeps its traceback.
        print(f"policyqa: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("policyqa: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
