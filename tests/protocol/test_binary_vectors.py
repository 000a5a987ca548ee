"""Binary kinds 0, 1 and 2 against vectors written out by hand from the §2.3 table (issue 10 #25).

The other binary tests round-trip our encoder through our decoder, so a bug mirrored in both
(two header bytes swapped, a length counted in characters) would pass. Here every frame is
written byte by byte from the table in /work/shared/docs/realtime-protocol.md §2.3, never
produced by our encoder; each is decoded in the role that receives it and encoded back to the
same bytes.

Common values: topic ``realtime:room-1`` is 15 bytes (0x0f): 72 65 61 6c 74 69 6d 65 3a 72 6f
6f 6d 2d 31; event ``ping`` is 4 bytes: 70 69 6e 67; join_ref ``1`` is 31, ref ``2`` is 32.
"""

from __future__ import annotations

import pytest

from inspector.protocol.frames import BinaryBroadcast, BinaryPush, BinaryReply, FrameRejected
from inspector.protocol.serializer import VSN2, Role, decode, encode

TOPIC = "72 65 61 6c 74 69 6d 65 3a 72 6f 6f 6d 2d 31"  # realtime:room-1


def hexbytes(text: str) -> bytes:
    return bytes.fromhex(text.replace("|", " "))


# kind 0 push, client -> server: kind, join_ref_len, ref_len, topic_len, event_len, then
# join_ref, ref, topic, event, payload (raw bytes de ad be ef).
KIND0_CLIENT = hexbytes(f"00 01 01 0f 04 | 31 | 32 | {TOPIC} | 70 69 6e 67 | de ad be ef")

# kind 0 push, server -> client: kind, join_ref_len, topic_len, event_len (no ref), then
# join_ref, topic, event, payload (00 ff).
KIND0_SERVER = hexbytes(f"00 01 0f 04 | 31 | {TOPIC} | 70 69 6e 67 | 00 ff")

# kind 1 reply, server -> client: kind, join_ref_len, ref_len, topic_len, status_len, then
# join_ref, ref, topic, status "ok" (6f 6b), payload (01 02 03).
KIND1 = hexbytes(f"01 01 01 0f 02 | 31 | 32 | {TOPIC} | 6f 6b | 01 02 03")

# kind 2 broadcast, server -> client: kind, topic_len, event_len, then topic, event, payload
# (the JSON text {"n":1}: 7b 22 6e 22 3a 31 7d, carried as raw bytes).
KIND2 = hexbytes(f"02 0f 04 | {TOPIC} | 70 69 6e 67 | 7b 22 6e 22 3a 31 7d")

# Multi-byte UTF-8: lengths are byte counts. Topic "realtime:é" is 11 bytes (é = c3 a9), event
# "ü" is 2 bytes (c3 bc); kind 2, empty payload.
KIND2_UTF8 = hexbytes("02 0b 02 | 72 65 61 6c 74 69 6d 65 3a c3 a9 | c3 bc")


@pytest.mark.parametrize(
    ("data", "role", "frame"),
    [
        (
            KIND0_CLIENT,
            Role.SERVER,
            BinaryPush("1", "2", "realtime:room-1", "ping", b"\xde\xad\xbe\xef"),
        ),
        (KIND0_SERVER, Role.CLIENT, BinaryPush("1", None, "realtime:room-1", "ping", b"\x00\xff")),
        (KIND1, Role.CLIENT, BinaryReply("1", "2", "realtime:room-1", "ok", b"\x01\x02\x03")),
        (KIND2, Role.CLIENT, BinaryBroadcast("realtime:room-1", "ping", b'{"n":1}')),
        (KIND2_UTF8, Role.CLIENT, BinaryBroadcast("realtime:é", "ü", b"")),
    ],
    ids=["kind0-client", "kind0-server", "kind1", "kind2", "kind2-utf8"],
)
def test_hand_written_frames_decode_and_encode_to_the_same_bytes(
    data: bytes, role: Role, frame: object
) -> None:
    assert decode(data, VSN2, role) == frame
    assert encode(frame, VSN2) == data  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "role", "reason"),
    [
        (KIND1, Role.SERVER, "kind 1 (reply) is sent by servers, not clients"),
        (KIND2, Role.SERVER, "kind 2 (broadcast) is sent by servers, not clients"),
        # the client form of kind 0 read by a client: 5 header bytes taken as join_ref_len 1,
        # topic_len 1, event_len 15, so the event runs past the end of the frame.
        (hexbytes("00 01 01 0f 04 | 31"), Role.CLIENT, "truncated kind 0 frame"),
        (KIND1[:-8], Role.CLIENT, "truncated kind 1 frame"),
        (hexbytes("02 0f"), Role.CLIENT, "truncated kind 2 frame: kind 2 header needs 3 bytes"),
    ],
)
def test_hand_written_frames_in_the_wrong_role_or_cut_short_are_rejected(
    data: bytes, role: Role, reason: str
) -> None:
    decoded = decode(data, VSN2, role)
    assert isinstance(decoded, FrameRejected)
    assert decoded.reason.startswith(reason), decoded.reason
