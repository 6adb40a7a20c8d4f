"""Qt widgets of the cnn-lens window.

Widgets display results and emit signals. Decoding and inference run in
`desktop.core` on a worker thread (see `worker` and `photo_queue`).
"""
