#!/usr/bin/env python3
"""The tutorial's four senders, in one file ("Reporting measurements from
Python code in real time", github.com/CheViana/python-send-stats).

    python3 stats.py EXAMPLE [--count N] [--interval S] [--broken]

EXAMPLE is 1 (JSON over UDP), 2 (JSON over a unix stream socket),
3 (Wavefront over TCP) or 4 (influx line protocol over UDP). The code is the
tutorial's; --count and --interval make it finish, and --broken sends the
tutorial's known mistakes instead: no newline on a stream (2), no Wavefront
source (3), millisecond timestamps and forbidden characters in a name (4),
and a forbidden character in the JSON measurement name (1).

Under fakegraf run, each example sends to fakegraf's listener of its socket
kind (FAKEGRAF_ADDR_UDP, FAKEGRAF_ADDR_TCP, FAKEGRAF_ADDR_UNIX, or
FAKEGRAF_ADDR when it is of that kind); otherwise to the tutorial's
addresses: udp/tcp localhost:8094, unix /tmp/telegraf.sock.
"""
import argparse
import json
import math
import os
import random
import socket
import sys
import time
from urllib.parse import urlparse


def address(kind, default_addr):
    """Where an example of this socket kind ('udp', 'tcp' or 'unix') sends.

    fakegraf run binds several listeners and names the first of each scheme
    in FAKEGRAF_ADDR_<SCHEME>; FAKEGRAF_ADDR is only the first listener,
    which may be of another kind (with fakegraf's default sockets it is the
    UDP one, which a unix-socket example cannot use).
    """
    for var in (f'FAKEGRAF_ADDR_{kind.upper()}', 'FAKEGRAF_ADDR'):
        url = os.environ.get(var)
        if not url:
            continue
        u = urlparse(url)
        if u.scheme.rstrip('46') != kind:
            continue
        if kind == 'unix':
            return u.path
        return (u.hostname, u.port)
    if os.environ.get('FAKEGRAF_ADDR'):
        example = 'unix:///tmp/telegraf.sock' if kind == 'unix' else f'{kind}://127.0.0.1:0'
        sys.exit(f'stats.py: fakegraf run has no {kind} listener for this example: give it one, e.g. {example}')
    return default_addr


def format_measurement_data_json(data, broken=False):
    data['format'] = 'json'
    return json.dumps(data) + ('' if broken else '\n')


def format_measurement_data_wavefront(data, broken=False):
    lines = []
    for key, value in data.items():
        source = '' if broken else 'source=localhost '
        lines.append(f'prefix_metric_name.{key} {value} {math.floor(time.time())} {source}format="wavefront"\n')
    return ''.join(lines)


def format_measurement_to_str_influxline(data, broken=False):
    measurement_name = 'my:metric|name' if broken else 'good_metric_name'
    fields = ','.join(f'{k}={v}' for k, v in data.items())
    line = f'{measurement_name},format=influxline {fields}'
    if broken:
        line += f' {int(time.time() * 1000)}'  # milliseconds: Telegraf reads nanoseconds
    return line + '\n'


class StatsReporter:
    def __init__(self, socket_type, socket_address, encoding='utf-8', formatter=None, datagram=False):
        self._socket_type = socket_type
        self._socket_address = socket_address
        self._encoding = encoding
        self._formatter = formatter if formatter else lambda d: str(d)
        self._datagram = datagram
        self.create_socket()

    def create_socket(self):
        try:
            sock = socket.socket(*self._socket_type)
            if not self._datagram:
                sock.connect(self._socket_address)
            self._sock = sock
        except socket.error as e:
            print(f'Got error while creating socket: {e}')

    def close_socket(self):
        try:
            self._sock.close()
        except (AttributeError, socket.error) as e:
            print(f'Got error while closing socket: {e}')

    def send_data(self, data):
        try:
            payload = self._formatter(data).encode(self._encoding)
            if self._datagram:
                self._sock.sendto(payload, self._socket_address)
            else:
                self._sock.send(payload)
        except (AttributeError, socket.error) as e:
            print(f'Got error while sending data on socket: {e}')
            self.close_socket()
            self.create_socket()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('example', type=int, choices=[1, 2, 3, 4])
    ap.add_argument('--count', type=int, default=0, help='stop after N sends (0: forever, like the tutorial)')
    ap.add_argument('--interval', type=float, default=1.0)
    ap.add_argument('--broken', action='store_true')
    a = ap.parse_args()

    n = 0
    if a.example == 1:
        addr = address('udp', ('localhost', 8094))
        while a.count == 0 or n < a.count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            name = 'good:metric|name' if a.broken else 'good_metric_name'
            sock.sendto(json.dumps({'metric_name': name, 'value1': 10, 'value2': random.randint(1, 10)}).encode(), addr)
            sock.close()
            n += 1
            if a.count == 0 or n < a.count:
                time.sleep(a.interval)
        return

    if a.example == 2:
        kind, addr, fmt, dgram = (socket.AF_UNIX,), address('unix', '/tmp/telegraf.sock'), format_measurement_data_json, False
    elif a.example == 3:
        kind, addr, fmt, dgram = (socket.AF_INET, socket.SOCK_STREAM), address('tcp', ('127.0.0.1', 8094)), format_measurement_data_wavefront, False
    else:
        kind, addr, fmt, dgram = (socket.AF_INET, socket.SOCK_DGRAM), address('udp', ('localhost', 8094)), format_measurement_to_str_influxline, True
    reporter = StatsReporter(kind, addr, formatter=lambda d: fmt(d, a.broken), datagram=dgram)
    while a.count == 0 or n < a.count:
        reporter.send_data({'value1': 10, 'value2': random.randint(1, 10)})
        n += 1
        if a.count == 0 or n < a.count:
            time.sleep(a.interval)
    reporter.close_socket()


if __name__ == '__main__':
    main()
