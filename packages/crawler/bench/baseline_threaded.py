"""Baseline for bench:sessions and bench:round: the seed notebook's threaded crawler (one
blocking socket per thread, 50 threads, a Queue of addresses), kept as close to the notebook's
worker() as possible. Reads "host port" lines on stdin, visits each once, prints JSON stats.
With --discover (bench:round) the lines are seeds, and each worker queues the addresses an
`addr` answer brings, as the notebook's threaded_crawler does; unlike the notebook it queues
an address only once (the notebook's queue never empties), and, like its simple_crawler, it
skips one-entry addr messages (a node announcing itself) and waits for the answer."""
import hashlib, json, os, queue, socket, sys, threading, time

MAGIC = bytes.fromhex(sys.argv[1]) if len(sys.argv) > 1 else b'\xf9\xbe\xb4\xd9'
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 50
DISCOVER = '--discover' in sys.argv[3:]
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

def read_varint(b, i):
    n = b[i]
    if n < 0xfd: return n, i + 1
    size = {0xfd: 2, 0xfe: 4, 0xff: 8}[n]
    return int.from_bytes(b[i + 1:i + 1 + size], 'little'), i + 1 + size

def read_addr_payload(payload):
    """The notebook's read_addr_payload: v1 entries (time, services, 16-byte IP, port)."""
    count, i = read_varint(payload, 0)
    out = []
    for _ in range(count):
        ip, port = payload[i + 12:i + 28], int.from_bytes(payload[i + 28:i + 30], 'big')
        i += 30
        if ip[:12] == b'\x00' * 10 + b'\xff\xff': out.append(('.'.join(str(x) for x in ip[12:]), port))
    return out

found = {}  # endpoint -> time its handshake finished (the node was found)
known = set()
first_visit = []

def discovering_worker(address_queue):
    while True:
        address = address_queue.get()
        if address is None: return
        start = time.time()
        with lock:
            if not first_visit: first_visit.append(start)
        try:
            sock, stream, _ = handshake(address)
        except Exception:
            with lock: stats['visits'] += 1; stats['errors'] += 1
            address_queue.task_done()
            continue
        with lock: found[f'{address[0]}:{address[1]}'] = start
        try:
            sock.sendall(serialize_msg(b'getaddr', b''))
            while time.time() - start < 5:
                msg = read_msg(stream)
                if msg['command'] == b'addr':
                    addrs = read_addr_payload(msg['payload'])
                    if len(addrs) <= 1: continue
                    with lock:
                        stats['addr_msgs'] += 1
                        for a in addrs:
                            if a not in known and a[0].startswith('127.'):
                                known.add(a); address_queue.put(a)
                    break
        except Exception:
            pass
        finally:
            sock.close()
        with lock: stats['visits'] += 1; stats['ok'] += 1
        address_queue.task_done()

def discover():
    q = queue.Queue()
    for line in sys.stdin:
        if not line.strip(): continue
        host, port = line.split()
        if not host.startswith('127.'): sys.exit(f'bench target {host} is not a 127.0.0.0/8 address')
        a = (host, int(port))
        if a not in known: known.add(a); q.put(a)
    t0 = time.time()
    threads = [threading.Thread(target=discovering_worker, args=(q,)) for _ in range(THREADS)]
    for t in threads: t.start()
    q.join()
    for _ in range(THREADS): q.put(None)
    for t in threads: t.join()
    cpu = sum(os.times()[:2])
    print(json.dumps({**stats, 'seconds': time.time() - t0, 'cpu_ms': cpu * 1000,
                      'first_visit_s': (first_visit[0] - t0) if first_visit else 0,
                      'last_found_s': (max(found.values()) - t0) if found else None,
                      'found': sorted(found)}))

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

discover() if DISCOVER else main()
