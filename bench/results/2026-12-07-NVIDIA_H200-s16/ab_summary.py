#!/usr/bin/python3
"""ab_summary.py CALL_DIR: the A/B of a call_s16*.sh call as CALL_DIR/summary.json.

For each case (runs/CASE_{main,new}{1,2}.json, the same plan run by main's build and this tree's): the
whole model's CUDA-graph median (totals.graph_fused_us) per repetition, the means and new/main; and per
PWDWPW unit (kind pwdwpw) the mean ours_us of each build and the ratio."""
import glob, json, os, statistics, sys

d = sys.argv[1]
cases = sorted({os.path.basename(p).rsplit('_', 1)[0] for p in glob.glob(f'{d}/runs/*_main1.json')})
out = {'device': None, 'date': None, 'rows': []}
for c in cases:
    reps = {}
    for b in ('main', 'new'):
        for i in (1, 2, 3):
            p = f'{d}/runs/{c}_{b}{i}.json'
            if os.path.exists(p):
                reps[f'{b}{i}'] = json.load(open(p))
    if not all(k in reps for k in ('main1', 'new1')):
        continue
    r0 = reps['main1']
    out['device'] = r0['device']
    out['date'] = r0['date']
    g = {k: v['totals']['graph_fused_us'] for k, v in reps.items()}
    mm = statistics.mean(v for k, v in g.items() if k.startswith('main'))
    nm = statistics.mean(v for k, v in g.items() if k.startswith('new'))
    units = []
    for i, u in enumerate(r0['units']):
        if u['kind'] != 'pwdwpw':
            continue
        t = {b: statistics.mean(reps[k]['units'][i]['ours_us'] for k in reps if k.startswith(b))
             for b in ('main', 'new')}
        units.append({'unit': u['layers'][0], 'main_us': round(t['main'], 2), 'new_us': round(t['new'], 2),
                      'new_over_main': round(t['new'] / t['main'], 4)})
    out['rows'].append({'case': c, 'model': r0['model'] if isinstance(r0['model'], str) else r0['model'].get('name'),
                        'batch': r0['batch'], 'dtype': r0['dtype'], 'math': r0['math'],
                        'main_commit': r0['commit'], 'new_commit': reps['new1']['commit'],
                        'graph_fused_us': {k: round(v, 1) for k, v in sorted(g.items())},
                        'new_over_main': round(nm / mm, 4), 'pwdwpw_units': units})
json.dump(out, open(f'{d}/summary.json', 'w'), indent=1)
print(json.dumps([(r['case'], r['new_over_main']) for r in out['rows']]))
