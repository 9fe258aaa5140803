"""replaylab: replay a failing LLM/RAG request, bisect its cause, and drill faults.

The public API is what `__all__` lists; everything else may change.
"""

from replaylab.config import RunConfig, SamplingParams
from replaylab.errors import ReplaylabError
from replaylab.stack.pipeline import Stack
from replaylab.trace import Trace, load_trace, save_trace

__all__ = ["ReplaylabError", "RunConfig", "SamplingParams", "Stack", "Trace", "load_trace", "save_trace"]
__version__ = "0.1.0"
