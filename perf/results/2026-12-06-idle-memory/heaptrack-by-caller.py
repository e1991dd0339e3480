import collections,sys
agg=collections.Counter()
f=sys.argv[1]; depth=int(sys.argv[2]) if len(sys.argv)>2 else 2
for line in open(f):
    stack,_,n=line.rstrip('\n').rpartition(' ')
    if not n.isdigit(): continue
    n=int(n)
    frames=[x.split(' (')[0] for x in stack.split(';') if x]
    idx=[i for i,x in enumerate(frames) if x.startswith(('S_P_','System_','Ferry_','Microsoft_','Npgsql','RhP','Rhp'))]
    if not idx:
        agg['(native) '+' < '.join(reversed(frames[-3:]))]+=n; continue
    i=idx[-1]
    key=' < '.join(reversed(frames[max(0,i-depth+1):i+1]))+' >> '+(frames[i+1] if i+1<len(frames) else '')
    agg[key]+=n
tot=sum(agg.values()); print('total',tot)
for k,v in agg.most_common(int(sys.argv[3]) if len(sys.argv)>3 else 30): print(f'{v/1e3:9.1f} KB  {k[:260]}')
