"""Parse each state machine definition once per process.

moto's Step Functions engine (LocalStack's ASL interpreter) runs the ANTLR grammar over the
whole definition every time a state machine is created and every time an execution starts:
about a quarter of a second per definition, paid again by every test that boots the stack.
Both the parse tree and the evaluation components built from it depend only on the text, and
the interpreter keeps every execution's state in that execution's Environment (components are
shared by concurrent Map iterations in the engine itself), so both are kept by text.
Definitions that do not parse are never cached: the error is raised each time, as moto does.
"""

from __future__ import annotations

import threading

from antlr4 import CommonTokenStream, InputStream
from moto.stepfunctions.parser.asl.antlr.runtime.ASLLexer import ASLLexer
from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser
from moto.stepfunctions.parser.asl.parse import asl_parser
from moto.stepfunctions.parser.asl.parse.asl_parser import ASLParserException, SyntaxErrorListener
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

_parsed: dict[str, tuple] = {}
_lock = threading.Lock()
_original_parse = asl_parser.AmazonStateLanguageParser.parse


def _parse(definition: str):
    parsed = _parsed.get(definition)
    if parsed is not None:
        return parsed
    # The same steps as AmazonStateLanguageParser.parse (moto 5.2.5), up to the tree.
    errors = SyntaxErrorListener()
    parser = ASLParser(CommonTokenStream(ASLLexer(InputStream(definition))))
    parser.removeErrorListeners()
    parser.addErrorListener(errors)
    tree = parser.state_machine()
    if errors.errors:
        raise ASLParserException(errors=errors.errors)
    program = Preprocessor().visit(tree)
    with _lock:
        return _parsed.setdefault(definition, (program, tree))


def install() -> None:
    """Idempotent: every stack in the process shares the one cache."""
    asl_parser.AmazonStateLanguageParser.parse = staticmethod(_parse)


def uninstall() -> None:
    asl_parser.AmazonStateLanguageParser.parse = _original_parse
