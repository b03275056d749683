"""The execution feed over gRPC: the ``ordergate.feed.v1.Feed`` service of ``feed.proto``.

:mod:`ordergate.feed.grpc.server` serves a feed source (``start_grpc_server``);
:mod:`ordergate.feed.grpc.messages` converts between the feed's messages and their
protobuf form. ``feed_pb2`` and ``feed_pb2_grpc`` are generated (``make proto``) and
committed; this package imports none of them on its own, so regenerating them works even
when the committed ones are stale.
"""
