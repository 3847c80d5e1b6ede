"""Anchor for `npm run bench -- trees`: scikit-learn's RandomForestRegressor and XGBoost's hist
booster on a train/test CSV pair, at the settings the benchmark gives ours.
Usage: trees_anchor.py TRAIN_CSV TEST_CSV TARGET -> one JSON line per model.
Categorical (non-numeric) columns are one-hot encoded over train+test (pandas.get_dummies,
numeric columns first), exactly as bench/data/csv.ts encodes them for ours."""
import json, sys, time
import numpy as np, pandas as pd
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mean_squared_error
import xgboost as xgb

train, test, target = sys.argv[1], sys.argv[2], sys.argv[3]
tr, te = pd.read_csv(train), pd.read_csv(test)
n = len(tr)
both = pd.concat([tr, te]).drop(columns=[target])
num = [c for c in both.columns if pd.api.types.is_numeric_dtype(both[c])]
cat = sorted(c for c in both.columns if c not in num)
cat = [c for c in both.columns if c in cat]
X = pd.concat([both[num], pd.get_dummies(both[cat], dtype=float)], axis=1).to_numpy(float)
y = pd.concat([tr, te])[target].to_numpy(float)
Xtr, Xte, ytr, yte = X[:n], X[n:], y[:n], y[n:]

def report(name, model, fit, **settings):
    # cpu_s: the process's CPU seconds over every thread (time.process_time), beside the wall time
    c = time.process_time(); t = time.perf_counter(); fit(); dt = time.perf_counter() - t; dc = time.process_time() - c
    p = model.predict(Xte)
    print(json.dumps(dict(model=name, fit_s=round(dt, 3), cpu_s=round(dc, 3), rmse=float(mean_squared_error(yte, p) ** 0.5), **settings)), flush=True)

rf = RandomForestRegressor(n_estimators=100, n_jobs=2, random_state=0, max_features=1.0)
report("sklearn.RandomForest", rf, lambda: rf.fit(Xtr, ytr), n_estimators=100, max_features=1.0, n_jobs=2)
# XGBoost's own defaults for lambda (1), min_child_weight (1) and max_bin (256), written out;
# base_score the training mean, as ours starts from
bst = xgb.XGBRegressor(n_estimators=300, tree_method="hist", n_jobs=2, max_depth=6, learning_rate=0.1,
                       reg_lambda=1.0, min_child_weight=1.0, max_bin=256, base_score=float(ytr.mean()))
report("xgboost.hist", bst, lambda: bst.fit(Xtr, ytr), n_estimators=300, max_depth=6, learning_rate=0.1,
       reg_lambda=1.0, min_child_weight=1.0, max_bin=256)
