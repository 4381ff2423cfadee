#!/usr/bin/env python3
"""A tutorial-style sender (JSON lines over TCP) that fakegraf checks in CI.

It sends to FAKEGRAF_ADDR when fakegraf run sets it, else to Telegraf's
usual tcp://127.0.0.1:8094. Run it under fakegraf in CI with one line:

    fakegraf run --config telegraf.conf --expect sender.expect --golden sender.golden -- python3 sender.py

(from this folder; `go run ../../cmd/fakegraf` works in place of `fakegraf`).
"""
import json
import os
import socket
from urllib.parse import urlparse

url = urlparse(os.environ.get('FAKEGRAF_ADDR', 'tcp://127.0.0.1:8094'))
sock = socket.create_connection((url.hostname, url.port))
for order_id, price in enumerate([9.99, 24.5, 3.0], start=1):
    record = {'metric_name': 'order_price', 'price': price, 'items': order_id, 'shop': 'eu-1'}
    sock.sendall((json.dumps(record) + '\n').encode())
sock.close()
