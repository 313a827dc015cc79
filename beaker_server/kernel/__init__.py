"""The server's side of each kernel: the per-kernel session shared by its
websockets, the server's own kernel client (subshells, statuses, procedures),
the gateway transport, the activity recorder, and kernel procedures (files of the
kernel's language installed as modules in the kernel)."""
