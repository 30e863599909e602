#!/usr/bin/env python3
"""GStreamer capture that stops and restarts its stream: PLAYING -> READY -> PLAYING -> NULL.
READY makes v4l2src STREAMOFF and free its buffers; PLAYING again allocates and streams anew."""
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)
pipe = Gst.parse_launch(f"v4l2src device={sys.argv[1]} io-mode=mmap ! fakesink sync=false")
for state, secs in ((Gst.State.PLAYING, 1.0), (Gst.State.READY, 0.3), (Gst.State.PLAYING, 1.0)):
    pipe.set_state(state)
    pipe.get_state(Gst.CLOCK_TIME_NONE)
    time.sleep(secs)
pipe.set_state(Gst.State.NULL)
pipe.get_state(Gst.CLOCK_TIME_NONE)
