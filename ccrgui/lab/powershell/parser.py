"""Recursive-descent parser for the PowerShell 2.0 subset (statements, pipelines, commands and
expressions).  Unsupported or malformed input raises `PSParseError` with PowerShell's own wording."""

from __future__ import annotations

from collections.abc import Callable

from . import nodes as n
from .lexer import (
    CASE_PREFIXED,
    COMMAND_WORD_END,
    COMPARISON_WORDS,
    DASHES,
    DOUBLE_QUOTES,
    OPERATOR_WORDS,
    SINGLE_QUOTES,
    Lexer,
    PSParseError,
    Token,
    is_ident_char,
    parse_expandable,
)

KEYWORDS = {
    "if",
    "elseif",
    "else",
    "foreach",
    "for",
    "while",
    "do",
    "until",
    "try",
    "catch",
    "finally",
    "throw",
    "return",
    "break",
    "continue",
    "exit",
    "function",
    "filter",
    "param",
    "switch",
    "trap",
    "begin",
    "process",
    "end",
    "in",
    "data",
}
COMPARISON = COMPARISON_WORDS
PUNCT3 = ("2>&1", "1>&2")
PUNCT2 = ("$(", "@(", "@{", "..", "::", "+=", "-=", "*=", "/=", "%=", "++", "--", ">>", "2>")
PUNCT1 = "(){}[],;|.=!+-*/%&>"


def unexpected(tok: Token) -> PSParseError:
    text = tok.text if tok.kind != "newline" else "\n"
    return PSParseError(
        f"Unexpected token '{text}' in expression or statement.", "UnexpectedToken", tok.end, text
    )


class Parser:
    def __init__(self, src: str) -> None:
        self.src = src
        self.lx = Lexer(src)
        self._no_comma = [False]

    # ---- token access -------------------------------------------------------------------------

    def token(self) -> Token:
        """The next expression-mode token (not consumed)."""
        save = self.lx.pos
        spaced = self.lx.skip_space()
        try:
            tok = self._scan()
        finally:
            self.lx.pos = save
        tok.spaced = spaced
        return tok

    def take(self) -> Token:
        tok = self.token()
        self.lx.pos = tok.end
        return tok

    def _scan(self) -> Token:
        start = self.lx.pos
        if self.lx.at_end():
            return Token("eof", "", start, start)
        c = self.src[start]
        tok = self._scan_text(c, start)
        if tok is None:
            tok = self._scan_operator(c, start)
        if tok is None:
            tok = self._scan_punct_or_word(c, start)
        return tok

    def _scan_text(self, c: str, start: int) -> Token | None:
        """A line break, a string (here-strings too) or a variable."""
        lx = self.lx
        src = self.src
        if c in "\r\n":
            end = start + (2 if src[start : start + 2] == "\r\n" else 1)
            return Token("newline", src[start:end], start, end)
        if c in SINGLE_QUOTES:
            return lx.read_single_quoted()
        if c in DOUBLE_QUOTES:
            return lx.read_double_quoted()
        if c == "@" and src[start + 1 : start + 2] in ("'", '"'):
            rest = src[start + 2 :].lstrip(" \t")
            if rest.startswith("\n") or rest.startswith("\r\n"):
                return lx.read_here_string(src[start + 1] == '"')
        if c == "$" and src[start + 1 : start + 2] != "(":
            return lx.read_variable()
        return None

    def _scan_operator(self, c: str, start: int) -> Token | None:
        """A three-character or stream redirection, a number, or a -operator / -Parameter."""
        src = self.src
        for p in PUNCT3:
            if src.startswith(p, start):
                return Token("redir", p, start, start + len(p), value=p)
        if c == "2" and src[start + 1 : start + 2] == ">":
            p = "2>>" if src.startswith("2>>", start) else "2>"
            return Token("redir", p, start, start + len(p), value=p)
        if c.isdigit() or (c == "." and src[start + 1 : start + 2].isdigit()):
            tok = self.lx.try_number(command_mode=False)
            if tok is not None:
                return tok
        if c in DASHES and src[start + 1 : start + 2].isalpha():
            j = start + 1
            while j < len(src) and src[j].isalpha():
                j += 1
            word = src[start + 1 : j].lower()
            base = word[1:] if word[:1] in ("c", "i") and word[1:] in CASE_PREFIXED else word
            if base in OPERATOR_WORDS:
                return Token("op", src[start:j], start, j, value=word)
            return Token("param", src[start:j], start, j, value=src[start + 1 : j])
        return None

    def _scan_punct_or_word(self, c: str, start: int) -> Token:
        src = self.src
        for p in PUNCT2:
            if src.startswith(p, start):
                kind = "redir" if p in (">>",) else "punct"
                return Token(kind, p, start, start + 2, value=p)
        if c == ">":
            return Token("redir", ">", start, start + 1, value=">")
        if c in DASHES:
            return Token("punct", "-", start, start + 1, value="-")
        if c in PUNCT1:
            return Token("punct", c, start, start + 1, value=c)
        if is_ident_char(c):
            j = start
            while j < len(src) and (is_ident_char(src[j]) or src[j] in "-"):
                j += 1
            return Token("word", src[start:j], start, j, value=src[start:j])
        return Token("unknown", c, start, start + 1, value=c)

    def is_punct(self, tok: Token, *values: str) -> bool:
        return tok.kind in ("punct", "redir") and tok.value in values

    def expect(self, value: str, error: str, error_id: str) -> Token:
        tok = self.token()
        if not self.is_punct(tok, value):
            raise PSParseError(error, error_id, tok.start)
        return self.take()

    def skip_newlines(self) -> None:
        while True:
            self.lx.skip_space(newlines=True)
            tok = self.token()
            if tok.kind == "newline" or self.is_punct(tok, ";"):
                self.lx.pos = tok.end
                continue
            break

    def skip_nl_only(self) -> None:
        self.lx.skip_space(newlines=True)

    # ---- script and statements ----------------------------------------------------------------

    def parse_script(self) -> n.ScriptAst:
        start = self.lx.pos
        params = self.maybe_param_block()
        stmts = self.parse_statements(None)
        return n.ScriptAst(start, self.lx.pos, stmts, params, self.src)

    def maybe_param_block(self) -> list[tuple[str, n.Node | None]]:
        self.skip_newlines()
        tok = self.token()
        if tok.kind == "word" and tok.value.lower() == "param":
            self.take()
            return self.parse_param_list()
        return []

    def parse_param_list(self) -> list[tuple[str, n.Node | None]]:
        self.expect(
            "(", "Missing '(' in function parameter list.", "MissingOpenParenthesisInFunctionParameterList"
        )
        params: list[tuple[str, n.Node | None]] = []
        while True:
            self.skip_nl_only()
            tok = self.token()
            if self.is_punct(tok, ")"):
                self.take()
                return params
            if self.is_punct(tok, "["):  # type constraint or attribute: skip it
                self.read_type_name()
                continue
            if tok.kind != "var":
                raise unexpected(tok)
            self.take()
            default: n.Node | None = None
            self.skip_nl_only()
            if self.is_punct(self.token(), "="):
                self.take()
                self.skip_nl_only()
                with_no_comma = self._no_comma
                with_no_comma.append(True)
                try:
                    default = self.parse_expression()
                finally:
                    with_no_comma.pop()
            params.append((tok.value, default))
            self.skip_nl_only()
            if self.is_punct(self.token(), ","):
                self.take()

    def parse_statements(self, closer: str | None) -> list[n.Node]:
        stmts: list[n.Node] = []
        while True:
            self.skip_newlines()
            tok = self.token()
            if tok.kind == "eof":
                if closer == "}":
                    raise PSParseError(
                        "Missing closing '}' in statement block.", "MissingEndCurlyBrace", tok.end
                    )
                if closer == ")":
                    raise PSParseError(
                        "Missing closing ')' in subexpression.",
                        "MissingEndParenthesisInSubexpression",
                        tok.end,
                    )
                return stmts
            if closer and self.is_punct(tok, closer):
                return stmts
            stmts.append(self.parse_statement())
            tok = self.token()
            if tok.kind in ("newline", "eof") or self.is_punct(tok, ";"):
                continue
            if closer and self.is_punct(tok, closer):
                continue
            raise unexpected(tok)

    def parse_block(self, what: str) -> n.ScriptAst:
        self.skip_nl_only()
        tok = self.token()
        if not self.is_punct(tok, "{"):
            raise PSParseError(f"Missing statement block after {what}.", "MissingStatementBlock", tok.start)
        self.take()
        start = tok.start
        stmts = self.parse_statements("}")
        self.take()
        return n.ScriptAst(start, self.lx.pos, stmts, [], self.src)

    def parse_condition(self, keyword: str) -> n.Node:
        self.skip_nl_only()
        tok = self.token()
        if not self.is_punct(tok, "("):
            raise PSParseError(
                f"Missing '(' after '{keyword}' in {keyword} statement.",
                f"MissingOpenParenthesisIn{keyword.capitalize()}Statement",
                tok.start,
            )
        self.take()
        self.skip_nl_only()
        cond = self.parse_pipeline()
        self.skip_nl_only()
        self.expect(
            ")",
            f"Missing closing ')' after expression in '{keyword}' statement.",
            "MissingEndParenthesisAfterStatement",
        )
        return cond

    def parse_statement(self) -> n.Node:
        tok = self.token()
        if tok.kind == "word":
            kw = tok.value.lower()
            if kw in KEYWORDS:
                return self.parse_keyword(kw, tok)
        return self.parse_pipeline()

    def parse_keyword(self, kw: str, tok: Token) -> n.Node:
        parse = _KEYWORD_PARSERS.get(kw)
        if parse is not None:
            return parse(self, kw, tok)
        raise PSParseError(
            f"The '{tok.value}' keyword is not supported in this version of the language.",
            "ReservedKeywordNotAllowed",
            tok.end,
            tok.value,
        )

    def _parse_if(self, kw: str, tok: Token) -> n.Node:
        start = tok.start
        self.take()
        clauses = [(self.parse_condition("if"), self.parse_block("if ( condition )"))]
        else_body = None
        while True:
            save = self.lx.pos
            self.skip_nl_only()
            nxt = self.token()
            if nxt.kind == "word" and nxt.value.lower() == "elseif":
                self.take()
                clauses.append((self.parse_condition("elseif"), self.parse_block("elseif ( condition )")))
                continue
            if nxt.kind == "word" and nxt.value.lower() == "else":
                self.take()
                else_body = self.parse_block("else")
                break
            self.lx.pos = save
            break
        return n.If(start, self.lx.pos, clauses, else_body)

    def _parse_foreach(self, kw: str, tok: Token) -> n.Node:
        start = tok.start
        self.take()
        self.skip_nl_only()
        if not self.is_punct(self.token(), "("):
            raise PSParseError(
                "Missing opening '(' after keyword 'foreach'.",
                "MissingOpenParenthesisAfterKeyword",
                self.token().start,
            )
        self.take()
        self.skip_nl_only()
        var = self.take()
        if var.kind != "var":
            raise PSParseError(
                "Missing variable name after foreach.", "MissingVariableNameAfterForeach", var.start
            )
        self.skip_nl_only()
        kin = self.take()
        if not (kin.kind == "word" and kin.value.lower() == "in"):
            raise PSParseError(
                "Missing 'in' after variable in foreach loop.", "MissingInInForeach", kin.start
            )
        self.skip_nl_only()
        iterable = self.parse_pipeline()
        self.skip_nl_only()
        self.expect(
            ")",
            "Missing closing ')' after expression in 'foreach' statement.",
            "MissingEndParenthesisAfterForeach",
        )
        body = self.parse_block("foreach")
        return n.Foreach(start, self.lx.pos, var.value, iterable, body)

    def _parse_for(self, kw: str, tok: Token) -> n.Node:
        start = tok.start
        self.take()
        self.skip_nl_only()
        self.expect("(", "Missing opening '(' after keyword 'for'.", "MissingOpenParenthesisAfterKeyword")
        parts: list[n.Node | None] = []
        for i in range(3):
            self.skip_nl_only()
            t = self.token()
            if self.is_punct(t, ";", ")"):
                parts.append(None)
            else:
                parts.append(self.parse_pipeline())
            self.skip_nl_only()
            t = self.token()
            if i < 2 and self.is_punct(t, ";"):
                self.take()
        self.skip_nl_only()
        self.expect(
            ")",
            "Missing closing ')' after expression in 'for' statement.",
            "MissingEndParenthesisAfterStatement",
        )
        body = self.parse_block("for ( condition )")
        return n.For(start, self.lx.pos, parts[0], parts[1], parts[2], body)

    def _parse_while(self, kw: str, tok: Token) -> n.Node:
        start = tok.start
        self.take()
        cond = self.parse_condition("while")
        body = self.parse_block("while ( condition )")
        return n.While(start, self.lx.pos, cond, body)

    def _parse_do(self, kw: str, tok: Token) -> n.Node:
        start = tok.start
        self.take()
        body = self.parse_block("do")
        self.skip_nl_only()
        w = self.take()
        if not (w.kind == "word" and w.value.lower() in ("while", "until")):
            raise PSParseError("Missing while or until in do loop.", "MissingWhileOrUntilInDoWhile", w.start)
        cond = self.parse_condition(w.value.lower())
        return n.While(start, self.lx.pos, cond, body, do=True, until=w.value.lower() == "until")

    def _parse_try(self, kw: str, tok: Token) -> n.Node:
        start = tok.start
        self.take()
        body = self.parse_block("try")
        catches: list[n.Catch] = []
        final = None
        while True:
            save = self.lx.pos
            self.skip_nl_only()
            nxt = self.token()
            if nxt.kind == "word" and nxt.value.lower() == "catch":
                self.take()
                types: list[str] = []
                while True:
                    self.skip_nl_only()
                    if self.is_punct(self.token(), "["):
                        types.append(self.read_type_name())
                        self.skip_nl_only()
                        if self.is_punct(self.token(), ","):
                            self.take()
                        continue
                    break
                catches.append(n.Catch(types, self.parse_block("catch")))
                continue
            if nxt.kind == "word" and nxt.value.lower() == "finally":
                self.take()
                final = self.parse_block("finally")
                break
            self.lx.pos = save
            break
        if not catches and final is None:
            raise PSParseError(
                "The Try statement is missing its Catch or Finally block.",
                "MissingCatchOrFinally",
                self.lx.pos,
            )
        return n.Try(start, self.lx.pos, body, catches, final)

    def _parse_switch_keyword(self, kw: str, tok: Token) -> n.Node:
        return self.parse_switch(tok)

    def _parse_flow(self, kw: str, tok: Token) -> n.Node:
        start = tok.start
        self.take()
        value = None
        nxt = self.token()
        if not (nxt.kind in ("newline", "eof") or self.is_punct(nxt, ";", "}", ")")):
            value = self.parse_pipeline()
        if kw == "throw":
            return n.Throw(start, tok.end, value)
        return n.Flow(start, tok.end, kw, value)

    def _parse_function(self, kw: str, tok: Token) -> n.Node:
        start = tok.start
        self.take()
        self.lx.skip_space()
        name_start = self.lx.pos
        while self.lx.pos < len(self.src) and self.src[self.lx.pos] not in " \t\r\n{(":
            self.lx.pos += 1
        name = self.src[name_start : self.lx.pos]
        if not name:
            raise PSParseError("Missing name after function keyword.", "MissingNameAfterKeyword", name_start)
        self.skip_nl_only()
        params: list[tuple[str, n.Node | None]] = []
        if self.is_punct(self.token(), "("):
            params = self.parse_param_list()
        self.skip_nl_only()
        lb = self.token()
        if not self.is_punct(lb, "{"):
            raise PSParseError(
                "Missing function body in function declaration.", "MissingFunctionBody", lb.start
            )
        self.take()
        inner_params = self.maybe_param_block()
        stmts = self.parse_statements("}")
        self.take()
        body = n.ScriptAst(lb.start, self.lx.pos, stmts, params or inner_params, self.src)
        return n.FunctionDef(start, self.lx.pos, name, params or inner_params, body)

    def parse_switch(self, tok: Token) -> n.Switch:
        self.take()
        flags: list[str] = []
        while True:
            self.lx.skip_space()
            nxt = self.token()
            if nxt.kind in ("param", "op") and nxt.text[1:].lower() in (
                "regex",
                "wildcard",
                "exact",
                "casesensitive",
                "r",
                "w",
                "e",
                "c",
            ):
                self.take()
                flags.append(nxt.text[1:].lower()[:1])
                continue
            break
        value = self.parse_condition("switch")
        self.skip_nl_only()
        lb = self.token()
        if not self.is_punct(lb, "{"):
            raise PSParseError(
                "Missing opening '{' in switch statement.", "MissingCurlyBraceInSwitchStatement", lb.start
            )
        self.take()
        clauses: list[tuple[n.Node | None, n.ScriptAst]] = []
        while True:
            self.skip_newlines()
            t = self.token()
            if self.is_punct(t, "}"):
                self.take()
                break
            if t.kind == "eof":
                raise PSParseError("Missing closing '}' in switch statement.", "MissingEndCurlyBrace", t.end)
            pattern: n.Node | None
            if t.kind == "word" and t.value.lower() == "default":
                self.take()
                pattern = None
            elif t.kind == "word":
                self.take()
                pattern = n.Const(t.start, t.end, t.value)
            else:
                self._no_comma.append(True)
                try:
                    pattern = self.parse_postfix()
                finally:
                    self._no_comma.pop()
            body = self.parse_block("switch clause")
            clauses.append((pattern, body))
        return n.Switch(tok.start, self.lx.pos, value, flags, clauses)

    # ---- pipelines and commands ---------------------------------------------------------------

    def starts_command(self) -> bool:
        self.lx.skip_space()
        c = self.lx.peekc()
        nxt = self.lx.peekc(1)
        if not c:
            return False
        if c == "&" and nxt != "&":
            return True
        if c == "." and nxt in (" ", "\t", "'", '"', "$"):
            return True
        if c.isalpha() or c in "_\\%?" or (c == "." and nxt in ("\\", "/", ".")):
            return True
        return False

    def parse_pipeline(self) -> n.Node:
        start = self.lx.pos
        self.lx.skip_space()
        first: n.Node
        if self.starts_command():
            first = self.parse_command()
        else:
            tok = self.token()
            if tok.kind in ("eof", "newline") or self.is_punct(tok, "|", ";", ")", "}"):
                if self.is_punct(tok, "|"):
                    raise PSParseError("Empty pipe element is not allowed.", "EmptyPipeElement", tok.end)
                raise unexpected(tok)
            expr = self.parse_expression()
            nxt = self.token()
            if self.is_punct(nxt, "=", "+=", "-=", "*=", "/=", "%="):
                if not isinstance(expr, n.Var | n.Member | n.Index | n.Cast):
                    raise PSParseError(
                        "The assignment expression is not valid. The input to an assignment operator must be "
                        "an object that is able to accept assignments, such as a variable or a property.",
                        "InvalidLeftHandSide",
                        nxt.end,
                    )
                self.take()
                self.skip_nl_only()
                value = self.parse_statement()
                return n.Assign(expr.pos, self.lx.pos, expr, nxt.value, value)
            redirs = self.parse_redirections()
            first = n.ExprStatement(expr.pos, self.lx.pos, expr, redirs)
        elements: list[n.Node] = [first]
        while True:
            tok = self.token()
            if not self.is_punct(tok, "|"):
                break
            self.take()
            self.skip_nl_only()
            if not self.starts_command():
                nxt = self.token()
                if nxt.kind in ("eof", "newline") or self.is_punct(nxt, "|", ";", ")", "}"):
                    raise PSParseError("Empty pipe element is not allowed.", "EmptyPipeElement", tok.end)
                raise PSParseError(
                    "Expressions are only allowed as the first element of a pipeline.",
                    "ExpressionsMustBeFirstInPipeline",
                    nxt.end,
                )
            elements.append(self.parse_command())
        if len(elements) == 1 and isinstance(first, n.ExprStatement) and not first.redirections:
            return first
        return n.Pipeline(start, self.lx.pos, elements)

    def parse_redirections(self) -> list[n.Redirection]:
        redirs: list[n.Redirection] = []
        while True:
            tok = self.token()
            if tok.kind != "redir":
                return redirs
            self.take()
            redirs.append(self.finish_redirection(tok))

    def finish_redirection(self, tok: Token) -> n.Redirection:
        op = tok.value
        if op in ("2>&1", "1>&2"):
            return n.Redirection(tok.start, tok.end, op[0], None, True, False)
        self.lx.skip_space()
        target = self.parse_command_argument()
        if target is None:
            raise PSParseError(
                "Missing file specification after redirection operator.", "MissingFileSpecification", tok.end
            )
        stream = "2" if op.startswith("2") else "1"
        return n.Redirection(tok.start, self.lx.pos, stream, target, False, op.endswith(">>"))

    def read_bare_word(self) -> tuple[str, int, int, bool]:
        """A command-mode generic token; returns text, start, end and whether it held a '$'."""
        lx = self.lx
        src = self.src
        start = lx.pos
        out: list[str] = []
        has_dollar = False
        while lx.pos < len(src):
            c = src[lx.pos]
            if c in COMMAND_WORD_END or c == ">" or (c in SINGLE_QUOTES + DOUBLE_QUOTES and lx.pos > start):
                break
            if c == "`" and lx.pos + 1 < len(src):
                out.append("`" + src[lx.pos + 1])
                lx.pos += 2
                continue
            if c == "$":
                has_dollar = True
            out.append(c)
            lx.pos += 1
        return "".join(out), start, lx.pos, has_dollar

    def parse_command(self) -> n.Command:
        lx = self.lx
        lx.skip_space()
        start = lx.pos
        call_op = ""
        c = lx.peekc()
        name: n.Node
        if c in "&." and (c == "&" or lx.peekc(1) in (" ", "\t", "'", '"', "$")):
            call_op = c
            lx.pos += 1
            lx.skip_space()
            arg = self.parse_command_argument()
            if arg is None:
                raise PSParseError(
                    "Missing expression after '&' in pipeline element.", "MissingExpression", lx.pos
                )
            name = arg
        else:
            text, s, e, _ = self.read_bare_word()
            name = n.Const(s, e, text.replace("`", ""))
        name_end = lx.pos
        elements: list[n.Node] = []
        redirs: list[n.Redirection] = []
        while True:
            lx.skip_space()
            c = lx.peekc()
            if c == "" or c in "\r\n;|)}":
                break
            if c == "&":
                if lx.peekc(1) == "&":
                    raise PSParseError(
                        "The token '&&' is not a valid statement separator in this version.",
                        "InvalidEndOfLine",
                        lx.pos + 2,
                        "&&",
                    )
                raise PSParseError(
                    'Ampersand not allowed. The & operator is reserved for future use; use "&" to pass '
                    "ampersand as a string.",
                    "AmpersandNotAllowed",
                    lx.pos + 1,
                    "&",
                )
            tok = self.token()
            if tok.kind == "redir":
                self.take()
                redirs.append(self.finish_redirection(tok))
                continue
            if c in DASHES and (lx.peekc(1).isalpha() or lx.peekc(1) == "_"):
                pstart = lx.pos
                lx.pos += 1
                while (
                    lx.pos < len(self.src)
                    and self.src[lx.pos] not in COMMAND_WORD_END
                    and self.src[lx.pos] not in ":>"
                ):
                    lx.pos += 1
                pname = self.src[pstart + 1 : lx.pos]
                if lx.peekc() == ":":
                    lx.pos += 1
                    arg = self.parse_command_argument_list()
                    if arg is None:
                        raise PSParseError(
                            f"Missing argument for parameter '{pname}'.", "MissingArgument", lx.pos
                        )
                    elements.append(n.CmdParam(pstart, lx.pos, pname, arg, True))
                else:
                    elements.append(n.CmdParam(pstart, lx.pos, pname, None, False))
                continue
            astart = lx.pos
            value = self.parse_command_argument_list()
            if value is None:
                raise unexpected(self.token())
            elements.append(n.CmdArg(astart, lx.pos, value))
        return n.Command(start, lx.pos, name, call_op, elements, redirs, name_end)

    def parse_command_argument_list(self) -> n.Node | None:
        first = self.parse_command_argument()
        if first is None:
            return None
        items = [first]
        while True:
            save = self.lx.pos
            self.lx.skip_space()
            if self.lx.peekc() != ",":
                self.lx.pos = save
                break
            self.lx.pos += 1
            self.lx.skip_space(newlines=True)
            nxt = self.parse_command_argument()
            if nxt is None:
                raise PSParseError("Missing argument in parameter list.", "MissingArgument", self.lx.pos)
            items.append(nxt)
        if len(items) == 1:
            return first
        return n.ArrayLit(first.pos, self.lx.pos, items)

    def parse_command_argument(self) -> n.Node | None:
        lx = self.lx
        c = lx.peekc()
        if c == "" or c in " \t\r\n;|)},&":
            return None
        if c in SINGLE_QUOTES + DOUBLE_QUOTES or c in "$({" or (c == "@" and lx.peekc(1) in "({'\""):
            self._no_comma.append(True)
            try:
                return self.parse_postfix()
            finally:
                self._no_comma.pop()
        if c.isdigit() or (c in DASHES and lx.peekc(1).isdigit()) or (c == "." and lx.peekc(1).isdigit()):
            save = lx.pos
            neg = c in DASHES
            if neg:
                lx.pos += 1
            tok = lx.try_number(command_mode=True)
            if tok is not None:
                return n.Const(save, tok.end, -tok.value if neg else tok.value)
            lx.pos = save
        text, s, e, has_dollar = self.read_bare_word()
        if has_dollar:
            return n.XString(s, e, self.compile_parts(parse_expandable(text, s, here=False)))
        return n.Const(s, e, _unescape_bare(text))

    def compile_parts(self, parts: list[object]) -> list[object]:
        out: list[object] = []
        for p in parts:
            if isinstance(p, tuple) and p[0] == "sub":
                sub = Parser(p[1])
                out.append(("sub", sub.parse_script()))
            else:
                out.append(p)
        return out

    # ---- expressions --------------------------------------------------------------------------

    def parse_expression(self) -> n.Node:
        return self.parse_logical()

    def _binary_loop(self, sub, ops: frozenset[str] | set[str], kind: str = "op") -> n.Node:  # type: ignore[no-untyped-def]
        left = sub()
        while True:
            tok = self.token()
            if tok.kind == kind and tok.value in ops:
                self.take()
                self.skip_nl_only()
                rtok = self.token()
                if rtok.kind in ("eof", "newline") or self.is_punct(rtok, ")", "}", ";", "|"):
                    raise PSParseError(
                        f"You must provide a value expression on the right-hand side of the '{tok.text}' "
                        "operator.",
                        "ExpectedValueExpression",
                        tok.end,
                        tok.text,
                    )
                right = sub()
                left = n.Binary(left.pos, right.end, tok.value, left, right)
            else:
                return left

    def parse_logical(self) -> n.Node:
        return self._binary_loop(self.parse_comparison, {"and", "or", "xor"})

    def parse_comparison(self) -> n.Node:
        ops = (
            COMPARISON
            | {"c" + o for o in CASE_PREFIXED}
            | {"i" + o for o in CASE_PREFIXED}
            | {"band", "bor", "bxor"}
        )
        return self._binary_loop(self.parse_additive, ops)

    def parse_additive(self) -> n.Node:
        return self._binary_loop(self.parse_multiplicative, {"+", "-"}, "punct")

    def parse_multiplicative(self) -> n.Node:
        return self._binary_loop(self.parse_format, {"*", "/", "%"}, "punct")

    def parse_format(self) -> n.Node:
        return self._binary_loop(self.parse_range, {"f"})

    def parse_range(self) -> n.Node:
        return self._binary_loop(self.parse_not, {".."}, "punct")

    def parse_not(self) -> n.Node:
        tok = self.token()
        if (tok.kind == "punct" and tok.value == "!") or (tok.kind == "op" and tok.value in ("not", "bnot")):
            self.take()
            operand = self.parse_not()
            return n.Unary(tok.start, operand.end, "not" if tok.value != "bnot" else "bnot", operand)
        return self.parse_comma()

    def parse_comma(self) -> n.Node:
        first = self.parse_unary()
        if self._no_comma[-1]:
            return first
        tok = self.token()
        if not self.is_punct(tok, ","):
            return first
        items = [first]
        while self.is_punct(self.token(), ","):
            self.take()
            self.skip_nl_only()
            items.append(self.parse_unary())
        return n.ArrayLit(first.pos, items[-1].end, items)

    def parse_unary(self) -> n.Node:
        tok = self.token()
        if tok.kind == "punct" and tok.value in ("-", "+"):
            self.take()
            operand = self.parse_unary()
            return n.Unary(tok.start, operand.end, "neg" if tok.value == "-" else "pos", operand)
        if tok.kind == "punct" and tok.value == ",":
            self.take()
            operand = self.parse_unary()
            return n.ArrayLit(tok.start, operand.end, [operand])
        if tok.kind == "op" and tok.value in ("join", "split"):
            self.take()
            operand = self.parse_unary()
            return n.Unary(tok.start, operand.end, tok.value, operand)
        if tok.kind == "punct" and tok.value in ("++", "--"):
            self.take()
            operand = self.parse_unary()
            return n.Unary(tok.start, operand.end, "pre" + tok.value, operand)
        if self.is_punct(tok, "["):
            save = self.lx.pos
            self.lx.pos = tok.start
            name = self.read_type_name()
            c = self.lx.peekc()
            if c == ":" and self.lx.peekc(1) == ":":
                self.lx.pos = save
                return self.parse_postfix()
            nxt = self.token()
            if (
                (not nxt.spaced and nxt.kind in ("var", "num", "str", "xstr"))
                or self.is_punct(nxt, "(", "$(", "@(", "[", "@{")
                or (nxt.kind == "punct" and nxt.value == "-" and not nxt.spaced)
            ):
                operand = self.parse_unary()
                return n.Cast(tok.start, operand.end, name, operand)
            if nxt.kind in ("var", "num", "str", "xstr"):
                operand = self.parse_unary()
                return n.Cast(tok.start, operand.end, name, operand)
            return n.TypeLit(tok.start, self.lx.pos, name)
        return self.parse_postfix()

    def read_type_name(self) -> str:
        lx = self.lx
        lx.skip_space()
        start = lx.pos
        assert self.src[start] == "["
        depth = 0
        i = start
        while i < len(self.src):
            ch = self.src[i]
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
                if depth == 0:
                    break
            elif ch in "\r\n":
                break
            i += 1
        if i >= len(self.src) or self.src[i] != "]":
            raise PSParseError("Missing ] at end of type token.", "EndSquareBracketExpectedAtEndOfType", i)
        lx.pos = i + 1
        name = self.src[start + 1 : i].strip()
        if not name:
            raise PSParseError("Missing type name after '['.", "MissingTypename", i)
        return name

    def parse_postfix(self) -> n.Node:
        expr = self.parse_primary()
        while True:
            c = self.lx.peekc()
            c2 = self.lx.peekc(1)
            if c == "." and c2 != "." and not c2.isdigit():
                self.lx.pos += 1
                expr = self.member_access(expr, static=False)
            elif c == ":" and c2 == ":":
                self.lx.pos += 2
                expr = self.member_access(expr, static=True)
            elif c != "" and c in "+-" and c2 == c and not isinstance(expr, n.Const):
                self.lx.pos += 2
                expr = n.Unary(expr.pos, self.lx.pos, "post" + c + c, expr)
            elif c == "[":
                self.lx.pos += 1
                self._no_comma.append(False)
                try:
                    self.skip_nl_only()
                    idx = self.parse_expression()
                    self.skip_nl_only()
                finally:
                    self._no_comma.pop()
                if self.lx.peekc() != "]":
                    raise PSParseError(
                        "Array index expression is missing or not valid.",
                        "MissingArrayIndexExpression",
                        self.lx.pos,
                    )
                self.lx.pos += 1
                expr = n.Index(expr.pos, self.lx.pos, expr, idx)
            else:
                return expr

    def member_access(self, target: n.Node, static: bool) -> n.Node:
        lx = self.lx
        start = lx.pos
        name: n.Node
        c = lx.peekc()
        if c == "$" or c in SINGLE_QUOTES + DOUBLE_QUOTES or c == "(":
            name = self.parse_primary()
        else:
            while lx.pos < len(self.src) and is_ident_char(self.src[lx.pos]):
                lx.pos += 1
            if lx.pos == start:
                raise PSParseError(
                    "Missing property name after reference operator.", "MissingPropertyName", lx.pos
                )
            name = n.Const(start, lx.pos, self.src[start : lx.pos])
        if lx.peekc() == "(":
            lx.pos += 1
            args: list[n.Node] = []
            self._no_comma.append(True)
            try:
                while True:
                    self.skip_nl_only()
                    tok = self.token()
                    if self.is_punct(tok, ")"):
                        self.take()
                        break
                    if tok.kind == "eof":
                        raise PSParseError(
                            "Missing ')' in method call.", "MissingEndParenthesisInMethodCall", tok.end
                        )
                    args.append(self.parse_expression())
                    self.skip_nl_only()
                    tok = self.token()
                    if self.is_punct(tok, ","):
                        self.take()
                    elif not self.is_punct(tok, ")"):
                        raise PSParseError(
                            "Missing ')' in method call.", "MissingEndParenthesisInMethodCall", tok.start
                        )
            finally:
                self._no_comma.pop()
            return n.Invoke(target.pos, lx.pos, target, name, args, static)
        return n.Member(target.pos, lx.pos, target, name, static)

    def parse_primary(self) -> n.Node:
        tok = self.token()
        k = tok.kind
        if k == "num":
            self.take()
            return n.Const(tok.start, tok.end, tok.value)
        if k == "str":
            self.take()
            return n.Const(tok.start, tok.end, tok.value)
        if k == "xstr":
            self.take()
            return n.XString(tok.start, tok.end, self.compile_parts(tok.parts))
        if k == "var":
            self.take()
            return n.Var(tok.start, tok.end, tok.value)
        if k == "punct":
            v = tok.value
            if v == "(":
                self.take()
                self._no_comma.append(False)
                try:
                    self.skip_nl_only()
                    inner = self.parse_statement()
                    self.skip_nl_only()
                finally:
                    self._no_comma.pop()
                end = self.token()
                if not self.is_punct(end, ")"):
                    raise PSParseError(
                        "Missing closing ')' in expression.", "MissingEndParenthesisInExpression", end.start
                    )
                self.take()
                return n.Paren(tok.start, end.end, inner)
            if v in ("$(", "@("):
                self.take()
                self._no_comma.append(False)
                try:
                    stmts = self.parse_statements(")")
                finally:
                    self._no_comma.pop()
                end = self.take()
                body = n.ScriptAst(tok.start, end.end, stmts, [], self.src)
                return n.SubExpr(tok.start, end.end, body, v == "@(")
            if v == "@{":
                self.take()
                return self.parse_hash(tok.start)
            if v == "{":
                self.take()
                self._no_comma.append(False)
                try:
                    params = self.maybe_param_block()
                    stmts = self.parse_statements("}")
                finally:
                    self._no_comma.pop()
                end = self.take()
                body = n.ScriptAst(tok.start, end.end, stmts, params, self.src)
                return n.ScriptBlockExpr(tok.start, end.end, body, self.src[tok.start + 1 : end.start])
            if v == "[":
                name = self.read_type_name()
                return n.TypeLit(tok.start, self.lx.pos, name)
        if k == "eof":
            raise PSParseError("Missing expression.", "ExpectedExpression", tok.end)
        raise unexpected(tok)

    def parse_hash(self, start: int) -> n.HashLit:
        pairs: list[tuple[n.Node, n.Node]] = []
        self._no_comma.append(False)
        try:
            while True:
                self.skip_newlines()
                tok = self.token()
                if self.is_punct(tok, "}"):
                    self.take()
                    return n.HashLit(start, tok.end, pairs)
                if tok.kind == "eof":
                    raise PSParseError(
                        "Missing closing '}' in hash literal.", "MissingEndCurlyBrace", tok.end
                    )
                key: n.Node
                if tok.kind in ("word", "param"):
                    self.take()
                    key = n.Const(tok.start, tok.end, tok.text)
                else:
                    key = self.parse_unary()
                self.lx.skip_space()
                eq = self.token()
                if not self.is_punct(eq, "="):
                    raise PSParseError(
                        "Missing '=' operator after key in hash literal.",
                        "MissingEqualsInHashLiteral",
                        eq.start,
                    )
                self.take()
                self.skip_nl_only()
                value = self.parse_statement()
                pairs.append((key, value))
                nxt = self.token()
                if not (nxt.kind == "newline" or self.is_punct(nxt, ";", "}")):
                    raise PSParseError(
                        "Missing statement after '=' in hash literal.",
                        "MissingStatementInHashLiteral",
                        nxt.start,
                    )
        finally:
            self._no_comma.pop()


# Statement keyword -> its parser (Parser.parse_keyword).
_KEYWORD_PARSERS: dict[str, Callable[[Parser, str, Token], n.Node]] = {
    "if": Parser._parse_if,
    "foreach": Parser._parse_foreach,
    "for": Parser._parse_for,
    "while": Parser._parse_while,
    "do": Parser._parse_do,
    "try": Parser._parse_try,
    "switch": Parser._parse_switch_keyword,
    "throw": Parser._parse_flow,
    "return": Parser._parse_flow,
    "break": Parser._parse_flow,
    "continue": Parser._parse_flow,
    "exit": Parser._parse_flow,
    "function": Parser._parse_function,
    "filter": Parser._parse_function,
}


def _unescape_bare(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "`" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def parse(src: str) -> n.ScriptAst:
    """Parse a whole script."""
    return Parser(src).parse_script()
