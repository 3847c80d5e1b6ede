"""The anchor of bench/eda.bench.ts: the statistics of `tributary eda` computed the usual way,
with pandas and scipy (what ydata-profiling computes them with), on the same file.

Usage: eda_pandas.py FILE NUMERIC_COLS CATEGORICAL_COLS [SPLIT_COL SPLIT_VALUE]
  NUMERIC_COLS / CATEGORICAL_COLS: comma-separated names ('-' for none)
  SPLIT_COL SPLIT_VALUE: also compare rows with SPLIT_COL < SPLIT_VALUE against the rest
  (scipy.stats.ks_2samp per numeric column, chi2_contingency per categorical one).
Prints one JSON line: seconds (read + profile, and the comparison apart) and every figure.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import association

path, num_arg, cat_arg = sys.argv[1:4]
numeric = [] if num_arg == '-' else num_arg.split(',')
categorical = [] if cat_arg == '-' else cat_arg.split(',')

t0 = time.perf_counter()
df = pd.read_csv(path, keep_default_na=True)
out = {'rows': int(len(df)), 'duplicates': int(df.duplicated().sum())}
out['missing'] = {c: int(v) for c, v in df.isna().sum().items()}
out['distinct'] = {c: int(v) for c, v in df.nunique(dropna=True).items()}
desc = {}
for c in numeric:
    s = df[c].astype('float64')
    desc[c] = {'mean': float(s.mean()), 'std_pop': float(s.std(ddof=0)), 'q1': float(s.quantile(0.25)),
               'median': float(s.median()), 'q3': float(s.quantile(0.75)), 'skew': float(s.skew())}
out['numeric'] = desc
num = df[numeric].astype('float64')
out['pearson'] = num.corr(method='pearson').values.tolist()
out['spearman'] = num.corr(method='spearman').values.tolist()
v = [[None] * len(categorical) for _ in categorical]
for i, a in enumerate(categorical):
    for j, b in enumerate(categorical):
        if i < j:
            t = pd.crosstab(df[a], df[b]).values  # NaN rows left out, as ours
            v[i][j] = v[j][i] = float(association(t, method='cramer'))
out['cramers_v'] = v
out['seconds'] = time.perf_counter() - t0

if len(sys.argv) > 5:
    col, value = sys.argv[4], sys.argv[5]
    t1 = time.perf_counter()
    key = df[col] if df[col].dtype != object else df[col].astype(str)
    a, b = df[key < type(key.iloc[0])(value)], df[key >= type(key.iloc[0])(value)]
    drift = {}
    for c in numeric:
        x, y = a[c].dropna().to_numpy('float64'), b[c].dropna().to_numpy('float64')
        r = stats.ks_2samp(x, y)
        drift[c] = {'ks': float(r.statistic), 'ks_pvalue': float(r.pvalue)}
    for c in categorical:
        t = pd.concat([a[c].value_counts(), b[c].value_counts()], axis=1).fillna(0).T.values
        chi2, p, dof, _ = stats.chi2_contingency(t, correction=False)
        drift[c] = {'chi2_pvalue': float(p)}
    out['drift'] = drift
    out['drift_rows'] = [int(len(a)), int(len(b))]
    out['drift_seconds'] = time.perf_counter() - t1

print(json.dumps(out))
