"""Starts `ssot-lsp serve` from PATH and does initialize, initialized,
shutdown and exit over stdio; fails unless every answer is right and the
server exits with 0. Used by tests/wheel.sh on the installed wheel."""

import json
import subprocess
import sys


def send(stream, message):
    body = json.dumps(message).encode()
    stream.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    stream.flush()


def receive(stream, wanted_id):
    """Reads messages until the response with `wanted_id` (notifications and
    server requests such as window/workDoneProgress/create are skipped)."""
    while True:
        length = None
        while True:
            line = stream.readline()
            if not line:
                raise SystemExit(f"the server closed stdout before answering request {wanted_id}")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        message = json.loads(stream.read(length))
        if message.get("id") == wanted_id and "method" not in message:
            return message


def main():
    root = sys.argv[1]
    server = subprocess.Popen(["ssot-lsp", "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    send(server.stdin, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                        "params": {"processId": None, "rootUri": f"file://{root}", "capabilities": {},
                                   "initializationOptions": {"workspaceScan": False}}})
    answer = receive(server.stdout, 1)
    name = answer["result"]["serverInfo"]["name"]
    assert name == "ssot-lsp", answer
    assert "codeActionProvider" in answer["result"]["capabilities"], answer
    send(server.stdin, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
    send(server.stdin, {"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
    answer = receive(server.stdout, 2)
    assert answer.get("result", "missing") is None, answer
    send(server.stdin, {"jsonrpc": "2.0", "method": "exit"})
    code = server.wait(timeout=30)
    assert code == 0, f"ssot-lsp serve exited with {code}"
    print(f"serve: initialize answered by {name}, shutdown and exit with 0")


if __name__ == "__main__":
    main()
