#!/usr/bin/python3
"""A scripted SMTP peer for faults no real server gives (issue 5, Tests).

usage: faultpeer.py MODE PORTFILE [LOGFILE]

Listens on 127.0.0.1 on a free port, writes the port number to PORTFILE once
it listens (so the caller never races a fixed port), and talks just enough
SMTP to bring the client to the stage where MODE strikes:

  421-greeting 421-ehlo 421-mail 421-rcpt 421-data 421-dot
               answer "421 4.3.2 ..." at that stage, then close
  drop-dot     read the whole message, then close the connection after the
               final dot without a reply
  long-line    answer EHLO with a single reply line of 100 KB
  many-lines   answer EHLO with 10,000 continuation lines, then a last line
  silent       accept the connection and never say anything
  421-dot2     accept the first message, answer the second one's final dot
               with 421 (the first must never be sent again)
  accept       a plain server that accepts every message

Each event the test asserts on goes to LOGFILE, one word a line: "connect",
"dot MESSAGE-ID" (a whole message was received). Python standard library only.
"""
import asyncio
import os
import sys

MODES = ("421-greeting", "421-ehlo", "421-mail", "421-rcpt", "421-data",
         "421-dot", "drop-dot", "long-line", "many-lines", "silent", "421-dot2",
         "accept")
BYE = b"421 4.3.2 faultpeer: service shutting down\r\n"


class Peer:
    def __init__(self, mode, log_path):
        self.mode = mode
        self.log_path = log_path
        self.dots = 0

    def log(self, word):
        if self.log_path:
            with open(self.log_path, "a") as f:
                f.write(word + "\n")

    async def bye(self, writer):
        writer.write(BYE)
        await writer.drain()
        writer.close()

    async def serve(self, reader, writer):
        self.log("connect")
        try:
            await self.session(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def session(self, reader, writer):
        mode = self.mode
        if mode == "silent":
            await reader.read()  # until the client gives up and closes
            return
        if mode == "421-greeting":
            await self.bye(writer)
            return
        writer.write(b"220 faultpeer ESMTP\r\n")
        await writer.drain()
        while True:
            line = await reader.readuntil(b"\r\n")
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                if mode == "421-ehlo":
                    return await self.bye(writer)
                if mode == "long-line":
                    writer.write(b"250 " + b"x" * (100 * 1024) + b"\r\n")
                elif mode == "many-lines":
                    writer.write(b"250-faultpeer\r\n" + b"250-X-FILLER\r\n" * 10000
                                 + b"250 8BITMIME\r\n")
                else:
                    writer.write(b"250-faultpeer\r\n250 8BITMIME\r\n")
            elif verb == b"MAIL":
                if mode == "421-mail":
                    return await self.bye(writer)
                writer.write(b"250 2.1.0 ok\r\n")
            elif verb == b"RCPT":
                if mode == "421-rcpt":
                    return await self.bye(writer)
                writer.write(b"250 2.1.5 ok\r\n")
            elif verb == b"DATA":
                if mode == "421-data":
                    return await self.bye(writer)
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                msgid = "-"
                while True:
                    data = await reader.readuntil(b"\r\n")
                    if data == b".\r\n":
                        break
                    if msgid == "-" and data.lower().startswith(b"message-id:"):
                        msgid = data[11:].strip().decode("ascii", "replace")
                self.log("dot " + msgid)
                self.dots += 1
                if mode == "421-dot" or (mode == "421-dot2" and self.dots == 2):
                    return await self.bye(writer)
                if mode == "drop-dot":
                    return  # close without a reply: the message MAY be delivered
                writer.write(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 bye\r\n")
                await writer.drain()
                return
            elif verb == b"RSET" or verb == b"NOOP":
                writer.write(b"250 2.0.0 ok\r\n")
            else:
                writer.write(b"502 5.5.2 not here\r\n")
            await writer.drain()


async def main():
    if len(sys.argv) < 3 or sys.argv[1] not in MODES:
        sys.stderr.write("usage: faultpeer.py %s PORTFILE [LOGFILE]\n" % "|".join(MODES))
        sys.exit(2)
    peer = Peer(sys.argv[1], sys.argv[3] if len(sys.argv) > 3 else None)
    server = await asyncio.start_server(peer.serve, "127.0.0.1", 0, limit=1 << 20)
    port = server.sockets[0].getsockname()[1]
    # Write then rename, so the reader never sees a half-written number.
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
