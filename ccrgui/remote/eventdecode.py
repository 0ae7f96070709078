"""Decoding a compressed event answer (base64, gzip, UTF-8) and parsing it piece by piece, in a
child process where one can be started, else in a worker thread.

Why a child process: parsing the two 40,000-event answers of a 100,000-event query in threads of
this process holds the GIL for ~1 s in all, and the GUI thread waited up to ~190 ms at a time for
it (the events bench, on 2 cores).  A child parses under its own GIL; this process only unpickles
the finished events (~1 ms per piece of ~230).  The child is started when the query is sent, so
its start-up (a fresh interpreter importing the parsers: ~0.1 s, 18 MB) overlaps the node's
answer.  A child that cannot start or dies before handing over anything is replaced by the
thread; one that dies later ends the query with an error (falling back then would hand over some
events twice).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import io
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import IO, BinaryIO, cast

from ccrgui.domain.model import Event
from ccrgui.remote import parsers

log = logging.getLogger(__name__)

DECODE_PIECE = 1 << 18  # decompressed bytes parsed at a time (~230 events, a few ms of parsing)
YIELD_S = 0.001  # a parsing thread pauses this long after each piece (lets the GUI thread run)
BASE64_PIECE = 1 << 16  # base64 characters decoded at a time (a multiple of 4)

HandOver = Callable[[list[Event]], None]


class CompressedAnswerError(Exception):
    """The compressed answer could not be decoded (damaged or cut off in transit)."""


def decompressed_pieces(text: str, piece: int = DECODE_PIECE) -> Iterator[str]:
    """The text inside a base64 gzip answer, in pieces of about `piece` bytes.  An empty answer
    is empty text (.NET before 4.5 writes nothing at all for no input).  The base64 is decoded
    `BASE64_PIECE` characters at a time: one call over a 3 MB answer holds the GIL ~10-25 ms,
    and the GUI thread waits that long for it."""
    data = "".join(text.split())
    if not data:
        return
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    at = 0
    while at < len(data) and not inflater.eof:
        raw = _unbase64(data[at : at + BASE64_PIECE])
        at += BASE64_PIECE
        while True:
            try:
                out = inflater.decompress(raw, piece)
            except zlib.error as exc:
                raise CompressedAnswerError(f"the compressed answer is damaged ({exc})") from None
            raw = inflater.unconsumed_tail
            if out:
                yield decoder.decode(out)
            elif not raw:
                break
            if inflater.eof:
                break
    if not inflater.eof:
        raise CompressedAnswerError("the compressed answer was cut off")
    after = inflater.unused_data + (_unbase64(data[at:]) if at < len(data) else b"")
    if after.strip(b"\0"):
        raise CompressedAnswerError("the compressed answer has unexpected data after its end")
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


def _unbase64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CompressedAnswerError(f"the compressed answer is damaged (not base64: {exc})") from None


def decode(
    text: str, node: str, log_name: str, hand_over: HandOver, stop: threading.Event, pause: float = YIELD_S
) -> tuple[int, str]:
    """Decode and parse the answer piece by piece; (events read, error text)."""
    parser = parsers.EventStreamParser(node=node, log=log_name)
    count = 0
    error = ""
    try:
        for piece in decompressed_pieces(text):
            if stop.is_set():
                return count, "stopped"
            events = parser.feed(piece)
            if events:
                count += len(events)
                hand_over(events)
            if pause:
                # Parsing holds the GIL; a short sleep hands it (and the CPU) to the GUI thread
                # between pieces instead of waiting for Python's forced switch.
                time.sleep(pause)
    except CompressedAnswerError as exc:
        error = str(exc)
    try:
        events = parser.close()
    except parsers.EventParseError as exc:
        events = list(exc.events)
        error = error or str(exc)
    if events:
        count += len(events)
        hand_over(events)
    return count, error


# ---- the child process -----------------------------------------------------------------------
#
# A plain `python -m ccrgui.remote.eventdecode` (not multiprocessing: its spawn would import the
# GUI's main module, Qt and all, in every child).  Frames both ways: an 8-byte length, a pickle.
# Parent to child: (node, log, text).  Child to parent: ("events", [Event, ...]) per piece, then
# ("done", count, error).  Texts of SHARED_MIN characters or more and the events' read-only data
# mappings are sent once per answer under a number (pickle's persistent IDs) and arrive shared,
# as the parser shares them; the rest is pickled afresh per frame, so the child keeps no events.

_EVENTS, _DONE = "events", "done"
_LENGTH = struct.Struct(">Q")
SHARED_MIN = 128  # characters: headers, System blocks, messages; not the per-event time stamps


def _write_frame(out: IO[bytes], data: bytes) -> None:
    out.write(_LENGTH.pack(len(data)))
    out.write(data)
    out.flush()


def _read_exactly(source: IO[bytes], size: int) -> bytes:
    parts: list[bytes] = []
    while size:
        part = source.read(size)
        if not part:
            raise EOFError
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _read_frame(source: IO[bytes]) -> bytes:
    """One frame; EOFError when the other side is gone."""
    (size,) = _LENGTH.unpack(_read_exactly(source, _LENGTH.size))
    return _read_exactly(source, size)


class _SharingPickler(pickle.Pickler):
    """Numbers long texts and data mappings; sends each one's value with its first use only."""

    def __init__(self, file: BinaryIO) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._texts: dict[str, int] = {}
        self._maps: dict[int, tuple[int, object]] = {}  # id -> (number, the mapping: kept alive)
        self._sending: object = None  # the text inside the ID being saved: saved as itself

    def persistent_id(self, obj: object) -> object:
        kind = type(obj)
        if kind is str:
            if obj is self._sending:
                self._sending = None
                return None
            text = cast(str, obj)
            if len(text) < SHARED_MIN:
                return None
            number = self._texts.get(text)
            if number is not None:
                return number
            number = self._texts[text] = len(self._texts) + len(self._maps)
            self._sending = text
            return (number, text)
        if kind is MappingProxyType:
            known = self._maps.get(id(obj))
            if known is not None:
                return known[0]
            number = len(self._texts) + len(self._maps)
            self._maps[id(obj)] = (number, obj)
            return (number, dict(cast("MappingProxyType[str, str]", obj)))
        return None


class _SharingUnpickler(pickle.Unpickler):
    """The other end of `_SharingPickler`.  Trusted: the frames are written by our own child's
    Pickler from objects it built, never taken from the node's bytes."""

    def __init__(self, file: BinaryIO, shared: dict[int, object]) -> None:
        super().__init__(file)
        self._shared = shared

    def persistent_load(self, pid: object) -> object:
        if isinstance(pid, tuple):
            number, value = pid
            if isinstance(value, dict):
                value = MappingProxyType(value)
            self._shared[number] = value
            return value
        return self._shared[cast(int, pid)]


CHILD_NICENESS = 10  # POSIX: how much lower than the parent the child runs


def _below_the_gui() -> None:
    """Run at a lower CPU priority than the app: on a busy machine the GUI thread gets a core
    first and the decoding takes what is left (measured on 2 cores: the loop's longest stall
    while 100,000 events load fell from 66-106 ms to 39-53 ms)."""
    try:
        os.nice(CHILD_NICENESS)
    except (AttributeError, OSError):  # Windows: the parent started it below normal already
        pass


def child_main() -> int:
    """The child: one answer from stdin, its events in frames on stdout."""
    _below_the_gui()
    source, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the frames
    try:
        node, log_name, text = pickle.loads(_read_frame(source))  # noqa: S301 (from our parent)
    except EOFError:
        return 0  # the parent gave up before the answer arrived
    buffer = io.BytesIO()
    pickler = _SharingPickler(buffer)

    def send(message: tuple[object, ...]) -> None:
        pickler.dump(message)
        pickler.clear_memo()  # the events themselves are not kept here
        _write_frame(out, buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()

    def hand_over(events: list[Event]) -> None:
        send((_EVENTS, events))

    count, error = decode(text, node, log_name, hand_over, threading.Event(), pause=0.0)
    send((_DONE, count, error, _own_peak_mb()))
    return 0


def _own_peak_mb() -> float:
    """This process's peak resident memory since it started its program, where the system says
    (Linux: VmHWM; getrusage would count the parent's memory copied by fork); else 0."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# The children's own peak memory (node, MB), newest last: for the log and the events benchmark.
child_peaks_mb: deque[tuple[str, float]] = deque(maxlen=64)


class ChildFailed(Exception):
    """The child could not take the work; nothing was handed over, so a thread may do it."""


class DecodeChild:
    """One child process for one answer (see the module docstring)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    @classmethod
    def start(cls) -> DecodeChild | None:
        """A started child, or None (said in the log) where none can be started."""
        if not sys.executable or getattr(sys, "frozen", False):
            return None  # no Python to run the child with: the thread decodes
        # Windows: no console window, and below the GUI's priority (elsewhere the child lowers
        # its own, `_below_the_gui`).
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        flags |= getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0)
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", __name__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                creationflags=flags,
            )
        except (OSError, ValueError, TypeError):  # no child processes here: the thread decodes, as before
            log.warning("cannot start a process to decode events; decoding in a thread", exc_info=True)
            return None
        return cls(proc)

    def decode(
        self, text: str, node: str, log_name: str, hand_over: HandOver, stop: threading.Event
    ) -> tuple[int, str]:
        """Blocking (a worker thread): the child decodes; its events are handed over as they come.
        `close()` from another thread ends a wait here (the frames end)."""
        count = 0
        proc = self.proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            request = pickle.dumps((node, log_name, text), protocol=pickle.HIGHEST_PROTOCOL)
            _write_frame(proc.stdin, request)
            proc.stdin.close()
            shared: dict[int, object] = {}
            while True:
                if stop.is_set():
                    return count, "stopped"
                # A fresh memo per frame, as the child's Pickler clears its own; the IDs span frames.
                message = _SharingUnpickler(io.BytesIO(_read_frame(proc.stdout)), shared).load()
                if message[0] == _EVENTS:
                    count += len(message[1])
                    hand_over(message[1])
                else:
                    child_peaks_mb.append((node, float(message[3])))
                    log.debug("decoded %d events of %s in a child (peak %.0f MB)", count, node, message[3])
                    return count, str(message[2])
        except (EOFError, OSError, ValueError, pickle.UnpicklingError) as exc:
            if stop.is_set():
                return count, "stopped"
            code = proc.poll()
            if count == 0:
                raise ChildFailed(f"the decoding process ended (exit code {code})") from exc
            return count, f"the process decoding the events ended unexpectedly (exit code {code})"
        finally:
            self.close()

    def close(self, wait_s: float = 1.0) -> None:
        """Stop the child if it still runs (from any thread, any number of times)."""
        proc = self.proc
        if proc.poll() is None:
            try:
                proc.kill()
            except OSError:
                pass
        if wait_s:
            try:
                proc.wait(timeout=wait_s)
            except subprocess.TimeoutExpired:
                log.warning("the event decoding process %s did not end", proc.pid)
        if proc.stdin is not None:
            try:
                proc.stdin.close()
            except (OSError, ValueError):
                pass


def decode_answer(
    child: DecodeChild | None,
    text: str,
    node: str,
    log_name: str,
    hand_over: HandOver,
    stop: threading.Event,
) -> tuple[int, str]:
    """Blocking (a worker thread): decode through `child`, or in this thread without one."""
    if child is not None:
        try:
            return child.decode(text, node, log_name, hand_over, stop)
        except ChildFailed as exc:
            log.warning("%s; decoding the events of %s in a thread", exc, node)
    return decode(text, node, log_name, hand_over, stop)


__all__ = [
    "CompressedAnswerError",
    "DecodeChild",
    "child_main",
    "decode",
    "decode_answer",
    "decompressed_pieces",
]

if __name__ == "__main__":
    sys.exit(child_main())
