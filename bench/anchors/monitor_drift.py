# The anchor of `npm run bench -- monitor`: per feature, scipy.stats.ks_2samp and a numpy PSI
# (reference deciles by numpy.quantile, bins by numpy.searchsorted, shares floored at 1e-6) over
# the same float64 columns the TypeScript side reads. Prints one JSON line with the time and
# every feature's statistics.
# usage: monitor_drift.py DIR FEATURES   (DIR/ref_K.f64 and DIR/cur_K.f64, K = 0..FEATURES-1)
import json, sys, time
import numpy as np
import scipy
from scipy.stats import ks_2samp

EPS = 1e-6

def psi(ref, cur, bins=10):
    edges = np.unique(np.quantile(ref, np.arange(1, bins) / bins))
    r = np.bincount(np.searchsorted(edges, ref, side='right'), minlength=len(edges) + 1) / len(ref)
    c = np.bincount(np.searchsorted(edges, cur, side='right'), minlength=len(edges) + 1) / len(cur)
    r = np.maximum(r, EPS); c = np.maximum(c, EPS)
    return float(np.sum((c - r) * np.log(c / r)))

d, k = sys.argv[1], int(sys.argv[2])
cols = [(np.fromfile(f'{d}/ref_{j}.f64'), np.fromfile(f'{d}/cur_{j}.f64')) for j in range(k)]
t = time.perf_counter()
out = []
for ref, cur in cols:
    ks = ks_2samp(ref, cur)
    out.append({'psi': psi(ref, cur), 'ks': float(ks.statistic), 'ks_pvalue': float(ks.pvalue)})
s = time.perf_counter() - t
print(json.dumps({'step': f'scipy {scipy.__version__} ks_2samp + numpy {np.__version__} PSI', 's': s, 'features': out}))
