#!/usr/bin/python3
"""model_summary.py CALL_DIR: call_next.sh's part 2 (plans/old and plans/new, main's build) as
CALL_DIR/model_summary.json and a line per case: the whole model's CUDA-graph median (totals.graph_fused_us) per
repetition, the means and new/old, and each unit whose variant differs between the two plans with its ours_us."""
import glob, json, os, statistics, sys

d = sys.argv[1]
cases = sorted({os.path.basename(p)[len('model_'):].rsplit('_', 1)[0] for p in glob.glob(f'{d}/runs/model_*_old1.json')})
rows = []
for c in cases:
    reps = {}
    for v in ('old', 'new'):
        for i in (1, 2):
            p = f'{d}/runs/model_{c}_{v}{i}.json'
            if os.path.exists(p):
                reps[f'{v}{i}'] = json.load(open(p))
    if not all(k in reps for k in ('old1', 'new1')):
        continue
    g = {k: r['totals']['graph_fused_us'] for k, r in reps.items()}
    old = statistics.mean(v for k, v in g.items() if k.startswith('old'))
    new = statistics.mean(v for k, v in g.items() if k.startswith('new'))
    ua = {tuple(u['layers']): u for u in reps['old1']['units']}
    changed = []
    for u in reps['new1']['units']:
        o = ua.get(tuple(u['layers']))
        if o is None or o.get('variant') != u.get('variant'):
            changed.append({'layers': u['layers'], 'new': u.get('variant'), 'new_us': u.get('ours_us'),
                            'old': o.get('variant') if o else None, 'old_us': o.get('ours_us') if o else None})
    rows.append({'case': c, 'graph_us': g, 'old_mean_us': old, 'new_mean_us': new, 'new_over_old': new / old,
                 'changed_units': changed, 'device': reps['old1']['device'], 'commit': reps['old1'].get('commit')})
    print(f"{c}: old {old:.1f} us, new {new:.1f} us, new/old {new / old:.3f}; "
          + "; ".join(f"{'+'.join(x['layers'])} {x['old_us']} -> {x['new_us']}" for x in changed))
json.dump({'rows': rows}, open(f'{d}/model_summary.json', 'w'), indent=1)
