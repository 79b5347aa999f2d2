"""The first start as the app serves it: the demo dataset and the first training start in the
background at once, and every visitor sees their progress instead of waiting on a blank page.

`lacrime prepare`, which `make run` starts beside the server, does the same work under the same
lock (`ops.bootstrap`); the app's thread then waits for it and shows the lines it writes.
"""

import logging
import subprocess
import sys
import threading
import time

import streamlit as st

from lacrime.data import dataset
from lacrime.errors import LacrimeError
from lacrime.ops import bootstrap, registry

logger = logging.getLogger(__name__)


FIRST_START_POLL_S = 1.0


def prepare() -> None:
    """Start the first start's work at once and show its progress; on later runs it costs two
    file checks.

    The work runs once per server process, in a `lacrime prepare` process of its own (under
    the first-start lock, which also makes it wait for the one `make run` started with the
    server), so no visitor's page is held while it runs. Until the demo
    dataset is in place every page is a progress page that reruns itself; from then on pages
    are served, and those needing the models show the training's progress where the model
    would be (`show_model_version`) until it is done.
    """
    if bootstrap.ready():
        if st.session_state.pop("_first_start_seen", False):
            st.toast("First start done: the demo dataset and the models are ready.")
        return
    failure = _first_start()
    if failure is not None:
        raise failure
    st.session_state["_first_start_seen"] = True
    if dataset.has_dataset():
        return
    st.title("Preparing lacrime")
    st.caption(
        "First start: making a synthetic demo dataset (about 10 seconds), then training the "
        "models once in the background. The page opens by itself."
    )
    with st.status("First start in progress", expanded=True, state="running"):
        st.code("\n".join(bootstrap.status_lines()) or "starting", language=None)
    time.sleep(FIRST_START_POLL_S)
    st.rerun()


@st.fragment(run_every=FIRST_START_POLL_S * 2)
def training_progress() -> None:
    """Where the model would be while the first training runs: its latest step, refreshed in
    place; the whole page reruns once the models are ready."""
    if registry.current_version_id() is not None:
        st.rerun(scope="app")
    lines = bootstrap.status_lines()
    step = lines[-1].split(" s  ", 1)[-1] if lines else "starting"
    st.info(
        "First start: the models are being trained once, in the background (a minute or more). "
        f"Latest step: {step[:1].lower()}{step[1:]}. Forecasts appear here by themselves when "
        "it is done.",
        icon=":material/model_training:",
    )


_first_start_lock = threading.Lock()
_first_start_state: dict[str, object] = {}


def _first_start() -> Exception | None:
    """Start `lacrime prepare` in the background (`_Preparing`) unless it runs already;
    the error it ended with, once (the next visit tries again)."""
    with _first_start_lock:
        thread = _first_start_state.get("thread")
        if thread is not None and not thread.is_alive():
            _first_start_state.clear()
            if isinstance(thread.error, Exception):
                return thread.error
            thread = None
        if thread is None:
            thread = _Preparing()
            _first_start_state["thread"] = thread
            thread.start()
    return None


def running() -> bool:
    """Whether this server's first start is still at work (or waiting for one elsewhere)."""
    thread = _first_start_state.get("thread")
    return thread is not None and thread.is_alive()


class _Preparing(threading.Thread):
    """`lacrime prepare` in a process of its own, watched from a thread that keeps the error
    it ended with.

    A process, not the server's own thread: training is CPU-bound and would hold the server's
    interpreter while visitors' pages wait, and the process keeps the state directory it was
    started with whatever happens to the server's environment afterwards."""

    def __init__(self) -> None:
        super().__init__(name="lacrime-first-start", daemon=True)
        self.error: Exception | None = None

    def run(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "lacrime", "prepare"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            said = (done.stderr.strip().splitlines() or [""])[-1]
            logger.error("first start failed (exit %s): %s", done.returncode, done.stderr)
            self.error = LacrimeError(
                said.removeprefix("lacrime: error: ")
                if said.startswith("lacrime: error: ")
                else f"the first start failed (exit status {done.returncode}); see the server log"
            )
