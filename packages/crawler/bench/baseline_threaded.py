"""Baseline for bench:sessions: the seed notebook's threaded crawler (one blocking socket per
thread, 50 threads, a Queue of addresses), kept as close to the notebook's worker() as
possible. Reads "host port" lines on stdin, visits each once, prints JSON stats."""
import hashlib, json, queue, socket, sys, threading, time

MAGIC = bytes.fromhex(sys.argv[1]) if len(sys.argv) > 1 else b'\xf9\xbe\xb4\xd9'
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 50
# The notebook's VERSION payload (protocol 70015, /some-cool-software/), re-framed with MAGIC.
VERSION_PAYLOAD = bytes.fromhex('7f1101000f040000000000009341555b000000000f040000000000000000000000000000000000000000000000000f040000000000000000000000000000000000000000000000007256c5439b3aea89142f736f6d652d636f6f6c2d736f6674776172652f0100000001')

def checksum(b): return hashlib.sha256(hashlib.sha256(b).digest()).digest()[:4]
def serialize_msg(command, payload):
    return MAGIC + command + b'\x00' * (12 - len(command)) + len(payload).to_bytes(4, 'little') + checksum(payload) + payload
def read_exact(stream, n):
    b = stream.read(n)
    if b is None or len(b) < n: raise EOFError('connection closed')
    return b
def read_msg(stream):
    magic = read_exact(stream, 4)
    if magic != MAGIC: raise ValueError('bad magic')
    command = read_exact(stream, 12).strip(b'\x00')
    length = int.from_bytes(read_exact(stream, 4), 'little')
    cs = read_exact(stream, 4)
    payload = read_exact(stream, length)
    if cs != checksum(payload): raise ValueError('bad checksum')
    return {'command': command, 'payload': payload}

def handshake(address):
    sock = socket.create_connection(address, timeout=5)
    stream = sock.makefile('rb')
    sock.sendall(serialize_msg(b'version', VERSION_PAYLOAD))
    version = read_msg(stream)        # their version
    read_msg(stream)                  # "verack" (whatever comes next, as in the notebook)
    sock.sendall(serialize_msg(b'verack', b''))
    return sock, stream, version

stats = {'visits': 0, 'ok': 0, 'addr_msgs': 0, 'errors': 0}
done_at = []  # completion time of each ok visit (the bench's steady rate, as drive.ts computes it)
lock = threading.Lock()

def worker(address_queue):
    while True:
        address = address_queue.get()
        if address is None: return
        start = time.time()
        try:
            sock, stream, _ = handshake(address)
        except Exception:
            with lock: stats['visits'] += 1; stats['errors'] += 1
            continue
        ok = False
        try:
            sock.sendall(serialize_msg(b'getaddr', b''))
            while time.time() - start < 5:
                msg = read_msg(stream)
                if msg['command'] == b'addr':
                    ok = True
                    break
        except Exception:
            pass
        finally:
            sock.close()
        with lock:
            stats['visits'] += 1
            if ok: stats['ok'] += 1; stats['addr_msgs'] += 1; done_at.append(time.time())

def main():
    q = queue.Queue()
    n = 0
    for line in sys.stdin:
        host, port = line.split()
        # Plain blocking sockets, no policy: only 127.0.0.0/8 literals may be dialed.
        if not (host.startswith('127.') and all(p.isdigit() for p in host.split('.')) and len(host.split('.')) == 4):
            sys.exit(f'bench target {host} is not a 127.0.0.0/8 address')
        q.put((host, int(port))); n += 1
    for _ in range(THREADS): q.put(None)
    t0 = time.time()
    threads = [threading.Thread(target=worker, args=(q,)) for _ in range(THREADS)]
    for t in threads: t.start()
    for t in threads: t.join()
    elapsed = time.time() - t0
    rss_kb = 0
    with open('/proc/self/status') as f:
        for l in f:
            if l.startswith('VmHWM:'): rss_kb = int(l.split()[1])
    # ok visits per second between the 10th and 90th percentile completion (drive.ts: steadyRate)
    steady = 0
    if len(done_at) >= 10:
        lo, hi = int(0.1 * (len(done_at) - 1)), int(0.9 * (len(done_at) - 1))
        if done_at[hi] > done_at[lo]: steady = (hi - lo) / (done_at[hi] - done_at[lo])
    print(json.dumps({**stats, 'seconds': elapsed, 'steady_rate': steady, 'peak_rss_mb': rss_kb / 1024}))

main()
