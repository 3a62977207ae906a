import time, collections
from django.test import Client
import tests.test_browser_phone_pages as T

def test_scratch(transactional_db):
    t0 = time.monotonic()
    cast = T._cast_build()
    print("cast", time.monotonic() - t0)
    stats = collections.defaultdict(lambda: [0, 0.0])
    orig = Client.get
    def timed(self, path, *a, **k):
        s = time.monotonic(); r = orig(self, path, *a, **k); d = time.monotonic() - s
        kind = T._kind(r); stats[kind][0] += 1; stats[kind][1] += d
        slow = stats["slow:" + path.split("/")[1]]; slow[0] += 1; slow[1] += d
        return r
    Client.get = timed
    t0 = time.monotonic(); T._plan(cast); print("plan", time.monotonic() - t0)
    Client.get = orig
    for k, v in sorted(stats.items(), key=lambda kv: -kv[1][1])[:25]: print(k, v[0], round(v[1], 1))
