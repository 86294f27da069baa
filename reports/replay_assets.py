"""The replay page's template, CSS and JavaScript (hand-written, inline: the page opens offline).

Rules:
- The script reads one JSON blob (``<script type="application/json" id="replay-data">``, see reports/replay.py),
  decodes it once, and on every instant only looks values up (binary search) and draws them: no Raft logic.
- The drawn values carry classes the browser test reads: ``#srv-<node> .v-role``, ``.v-term``, ``.v-commit``,
  ``.v-status``; ``<body data-replay-ready="1">`` after the first paint; errors go to ``#js-errors``.
- Keys: space play/pause, left/right step (the step mode), shift+left/right state changes only, v first
  violation, +/- speed, Home/End. ``#t=<ns>`` (or ``#t=1.5s``) in the URL opens an instant.
"""

from __future__ import annotations

from string import Template

__all__ = ["CSS", "JS", "PAGE"]

PAGE = Template("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>$title</title>
<style>$css</style>
</head>
<body>
<header><h1>$title</h1><div class="sub" id="sub"></div></header>
<div id="controls">
<button id="b-start" title="start (Home)">|&#x25C0;</button>
<button id="b-prev" title="previous event (&#x2190;; shift: state change)">&#x25C1;</button>
<button id="b-play" title="play/pause (space)">&#x25B6;</button>
<button id="b-next" title="next event (&#x2192;; shift: state change)">&#x25B7;</button>
<button id="b-end" title="end (End)">&#x25B6;|</button>
<label>step <select id="s-step"><option value="any">any event</option><option value="state">state changes</option></select></label>
<label>speed <select id="s-speed"></select></label>
<button id="b-viol" title="first violation (v)">first violation</button>
<span id="clock"></span>
<input type="range" id="slider" min="0" max="1" step="any" value="0">
<div id="narration"></div>
</div>
<div id="js-errors"></div>
<div id="notices"></div>
<main>
<svg id="cluster" viewBox="0 0 480 440" width="480" height="440"></svg>
<div id="right"><svg id="logs" width="740" height="300"></svg>
<table id="states"></table></div>
<svg id="ops" width="1240" height="160"></svg>
<div id="viols"></div>
<div id="legend"></div>
</main>
<script type="application/json" id="replay-data">$data</script>
<script>$js</script>
</body></html>
""")

CSS = """
*{box-sizing:border-box}
body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1d2329;background:#f6f7f9}
header{background:#1d2329;color:#fff;padding:8px 18px}header h1{margin:0;font-size:17px;font-weight:600}
header .sub{color:#b8c2cc;font-size:12px}
#controls{position:sticky;top:0;z-index:5;background:#fff;border-bottom:1px solid #dde2e7;padding:6px 18px}
#controls button{font-size:14px;min-width:34px;margin-right:2px}
#controls label{margin:0 8px;color:#56616d}
#clock{font:600 14px ui-monospace,Menlo,Consolas,monospace;margin-left:10px}
#slider{display:block;width:100%;margin:6px 0 2px}
#narration{min-height:20px;font-size:14px;color:#6a3d00;font-weight:600}
#js-errors{color:#b00020;white-space:pre-wrap;padding:0 18px}
#notices{color:#8a5a00;padding:0 18px}
main{display:flex;flex-wrap:wrap;gap:10px;padding:8px 18px}
svg{background:#fff;border:1px solid #dde2e7;border-radius:6px}
#right{display:flex;flex-direction:column;gap:8px}
table#states{border-collapse:collapse;background:#fff;font:12px ui-monospace,Menlo,Consolas,monospace}
#states th,#states td{border:1px solid #dde2e7;padding:2px 7px;text-align:right}
#states th{background:#eef1f4}
#viols{width:100%;font-size:12px}#viols .v{color:#b00020}
#viols button{font-size:11px}
#legend{width:100%;font-size:12px;color:#56616d}
text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace}
"""

JS = r"""
(function(){
'use strict';
var ERR=document.getElementById('js-errors');
window.addEventListener('error',function(e){ERR.textContent+=String(e.message)+'\n';ERR.className='js-error';});
var D=JSON.parse(document.getElementById('replay-data').textContent);
var NS='http://www.w3.org/2000/svg';
var NODES=D.nodes, NAMES=D.names, END=Math.max(1,D.end);
var ROLE_FILL={'follower':'#dfe7f0','pre-candidate':'#ffe3b3','candidate':'#ffb74d','leader':'#66bb6a'};
var TERM_COLORS=['#90caf9','#ffcc80','#a5d6a7','#ce93d8','#ef9a9a','#80deea','#fff59d','#bcaaa4','#b0bec5','#f48fb1'];
function tc(term){return term==null?'#eee':TERM_COLORS[((term%10)+10)%10];}
function el(tag,attrs,parent,text){var e=document.createElementNS(NS,tag);for(var k in attrs)e.setAttribute(k,attrs[k]);
  if(text!=null)e.textContent=text;if(parent)parent.appendChild(e);return e;}
function undelta(a){var o=new Array(a.length),s=0;for(var i=0;i<a.length;i++){s+=a[i];o[i]=s;}return o;}
function lastLE(arr,t){var lo=0,hi=arr.length-1,r=-1;while(lo<=hi){var m=(lo+hi)>>1;if(arr[m]<=t){r=m;lo=m+1;}else hi=m-1;}return r;}
function fmt(ns){var s=(ns/1e9).toFixed(9);return s.replace(/(\d{3})(\d{3})(\d{3})$/,'$1 $2 $3')+' s';}
// ---- decode
var ST={};NODES.forEach(function(n){var c=D.states[n];ST[n]={t:undelta(c.t),c:c};});
var LOGW={};NODES.forEach(function(n){var L=D.logs[n],ts=undelta(L.t),by={};
  for(var k=0;k<ts.length;k++){var i=L.i[k];(by[i]=by[i]||{t:[],term:[]});by[i].t.push(ts[k]);by[i].term.push(L.term[k]);}
  LOGW[n]=by;});
var TIMERS={};NODES.forEach(function(n){TIMERS[n]=undelta(D.timers[n]||[]);});
var CUT_T=D.cuts.map(function(c){return c[0];});
var M=D.msgs,MS=undelta(M.send).map(function(x){return x*1000;}),MD=M.dur.map(function(x){return x*1000;});
var OPS=D.ops,OPINV=OPS.inv.map(function(x){return x<0?null:x*1000;}),OPEND=OPS.end.map(function(x){return x<0?null:x*1000;});
var OFFENDING={};D.violations.forEach(function(v){v.ops.forEach(function(i){OFFENDING[i]=1;});});
function stateAt(n,t){var s=ST[n],i=lastLE(s.t,t);if(i<0)return {role:'follower',status:'up',term:0,vote:null,leader:null,commit:0,applied:0,last_index:0,snap_index:0};
  var c=s.c;function nm(x){return x<0?null:NAMES[x];}
  return {role:nm(c.role[i]),status:nm(c.status[i]),term:c.term[i],vote:nm(c.vote[i]),leader:nm(c.leader[i]),commit:c.commit[i],
    applied:c.applied[i],last_index:c.last_index[i],snap_index:c.snap_index[i]};}
function termAt(n,i,t){var w=LOGW[n][i];if(!w)return null;var k=lastLE(w.t,t);return k<0?null:w.term[k];}
function cutAt(t){var i=lastLE(CUT_T,t);return i<0?[]:D.cuts[i][1];}
// ---- event lists for stepping
function uniqSorted(a){a.sort(function(x,y){return x-y;});var o=[];for(var i=0;i<a.length;i++)if(!o.length||o[o.length-1]!==a[i])o.push(a[i]);return o;}
var stateEv=[];NODES.forEach(function(n){stateEv=stateEv.concat(ST[n].t);});stateEv=uniqSorted(stateEv.concat(CUT_T));
var anyEv=stateEv.slice();for(var k=0;k<MS.length;k++){anyEv.push(MS[k]);anyEv.push(MS[k]+MD[k]);}anyEv=uniqSorted(anyEv);
var firstViol=null;D.violations.forEach(function(v){var ts=[];if(v.window)ts.push(v.window[0]);v.events.forEach(function(e){ts.push(e.t);});
  ts.forEach(function(x){if(firstViol===null||x<firstViol)firstViol=x;});});
// ---- static layout
document.getElementById('sub').textContent=[D.scenario,'seed '+D.seed,'verdict '+(D.verdict||'not checked'),
  D.msg_window_ns?('messages: '+M.src.length+' arrows for '+D.msg_total+' (same link+type merged per '+(D.msg_window_ns/1e6)+' ms)'):(D.msg_total+' messages')].join(' \u00b7 ');
if(D.notices.length)document.getElementById('notices').textContent=D.notices.join(' ');
var CL=document.getElementById("cluster"),CX=240,CY=234,R=152,POS={};
NODES.forEach(function(n,i){var a=-Math.PI/2+2*Math.PI*i/NODES.length;POS[n]=[CX+R*Math.cos(a),CY+R*Math.sin(a)];});
var defs=el('defs',{},CL);var mk=el('marker',{id:'ah',viewBox:'0 0 10 10',refX:'9',refY:'5',markerWidth:'7',markerHeight:'7',orient:'auto-start-reverse'},defs);
el('path',{d:'M0,0L10,5L0,10z',fill:'#37474f'},mk);
var mk2=el('marker',{id:'cutah',viewBox:'0 0 10 10',refX:'9',refY:'5',markerWidth:'8',markerHeight:'8',orient:'auto'},defs);
el('path',{d:'M0,0L10,5L0,10z',fill:'#d32f2f'},mk2);
var gCuts=el('g',{},CL),gMsgs=el('g',{},CL),gSrv=el('g',{},CL);
var SRV={};
NODES.forEach(function(n){var p=POS[n],g=el('g',{id:'srv-'+n,transform:'translate('+p[0]+','+p[1]+')'},gSrv);
  var o={g:g};o.timerBg=el('circle',{r:43,fill:'none',stroke:'#eceff1','stroke-width':5},g);
  o.timer=el('path',{fill:'none',stroke:'#ff9800','stroke-width':5},g);
  o.c=el('circle',{r:37,stroke:'#37474f','stroke-width':1.5},g);
  o.name=el('text',{y:-16,'text-anchor':'middle','font-weight':'700','font-size':14},g,n);
  o.role=el('text',{'class':'v-role',y:1,'text-anchor':'middle','font-size':12},g);
  o.term=el('text',{'class':'v-term',y:17,'text-anchor':'middle','font-size':12},g);
  o.status=el('text',{'class':'v-status',y:31,'text-anchor':'middle','font-size':10,fill:'#b00020'},g);
  o.x=el('path',{d:'M-24,-24L24,24M24,-24L-24,24',stroke:'#9e9e9e','stroke-width':4,opacity:0},g);
  var below=p[1]>CY?1:-1,by=below>0?60:-64;
  o.info=el('text',{y:by,'text-anchor':'middle','font-size':11,'class':'mono'},g);
  o.ts1=el('tspan',{'class':'v-vote',x:0},o.info);o.ts2=el('tspan',{x:0,dy:13},o.info);
  o.commit=el('tspan',{'class':'v-commit'},o.ts2);o.ts3=el('tspan',{},o.ts2);o.applied=el('tspan',{'class':'v-applied'},o.ts2);
  SRV[n]=o;});
var LG=document.getElementById('logs'),LW=740,ROWH=44,LEFT=44,BOX=24;
LG.setAttribute('height',30+ROWH*NODES.length);
var OPSV=document.getElementById('ops');
var TBL=document.getElementById('states');
(function(){var h='<tr><th>node</th><th>status</th><th>role</th><th>term</th><th>vote</th><th>leader</th><th>commit</th><th>applied</th><th>last</th><th>snapshot</th></tr>';
  NODES.forEach(function(n){h+='<tr id="row-'+n+'"><th>'+n+'</th>'+'<td></td>'.repeat(9)+'</tr>';});TBL.innerHTML=h;})();
document.getElementById('legend').innerHTML='Circles: <b>role</b> (green leader, orange candidate, light orange pre-candidate, blue-grey follower); '+
  'the orange arc is the election timer since its last reset against the base timeout '+(D.election_ns/1e6)+' ms (the real one is randomized above it); '+
  'grey with a cross: crashed; "paused"/"restarting" in red. Red dashed links: cut (an arrowhead marks a one-way cut). '+
  'Logs: boxes are entries numbered by term; solid border = committed, the thick bar is the commit index; "snap" is the compacted prefix. '+
  'Arrows: messages in flight (type, term, \u00d7merged); red ones are dropped and fade. Bottom: client operations around the cursor '+
  '(green ok, red fail, grey info/unknown; red outline = in a counterexample; pink band = the illegal window). '+
  'Keys: space play/pause, \u2190/\u2192 step, shift+\u2190/\u2192 state changes, v first violation, +/- speed, Home/End.';
var VV=document.getElementById('viols');
if(D.violations.length){D.violations.forEach(function(v,i){var d=document.createElement('div');d.className='v';
  var t0=v.window?v.window[0]:(v.events.length?v.events[0].t:null);
  d.textContent=v.checker+': '+v.summary+' ';if(t0!==null){var b=document.createElement('button');b.textContent='go to '+fmt(t0);
  b.onclick=function(){pause();seek(t0);};d.appendChild(b);}VV.appendChild(d);});}
else VV.textContent='No counterexample in result.json.';
// ---- drawing
var T=0;
function arcPath(f){if(f<=0)return '';if(f>=1)f=0.9999;var a=2*Math.PI*f,r=43,x=r*Math.sin(a),y=-r*Math.cos(a);
  return 'M0,-43A43,43 0 '+(f>0.5?1:0)+',1 '+x.toFixed(2)+','+y.toFixed(2);}
function edge(a,b,off){var p=POS[a],q=POS[b],dx=q[0]-p[0],dy=q[1]-p[1],L=Math.sqrt(dx*dx+dy*dy),ux=dx/L,uy=dy/L;
  return [p[0]+ux*46-uy*off,p[1]+uy*46+ux*off,q[0]-ux*46-uy*off,q[1]-uy*46+ux*off];}
function drawServers(t){var cur={};NODES.forEach(function(n){var s=stateAt(n,t),o=SRV[n];cur[n]=s;
  var down=s.status==='down';o.c.setAttribute('fill',down?'#e0e0e0':(s.status==='paused'?'#e3f2fd':ROLE_FILL[s.role]||'#eee'));
  o.c.setAttribute('stroke-dasharray',s.status==='restarting'||s.status==='paused'?'5 3':'');
  o.c.setAttribute('stroke-width',s.role==='leader'&&!down?3.5:1.5);
  o.role.textContent=s.role;o.term.textContent='term '+s.term;o.status.textContent=s.status==='up'?'':s.status;
  o.x.setAttribute('opacity',down?1:0);
  o.ts1.textContent='vote '+(s.vote||'\u2014');o.commit.textContent='commit '+s.commit;o.ts3.textContent=' \u00b7 ';o.applied.textContent='applied '+s.applied;
  var f=0;if(!down&&s.status!=='paused'&&s.role!=='leader'&&D.election_ns>0){var i=lastLE(TIMERS[n],t);if(i>=0)f=(t-TIMERS[n][i])/D.election_ns;}
  o.timer.setAttribute('d',arcPath(Math.min(1,f)));o.timer.setAttribute('stroke',f>=1?'#e53935':'#ff9800');
  o.g.setAttribute('data-role',s.role);o.g.setAttribute('data-term',s.term);o.g.setAttribute('data-commit',s.commit);o.g.setAttribute('data-status',s.status);
  var row=document.getElementById('row-'+n).children;var vals=[s.status,s.role,s.term,s.vote||'\u2014',s.leader||'\u2014',s.commit,s.applied,s.last_index,s.snap_index];
  for(var k=0;k<9;k++)row[k+1].textContent=vals[k];});return cur;}
function drawCuts(t){gCuts.textContent='';var c=cutAt(t),set={};c.forEach(function(p){set[p[0]+'>'+p[1]]=1;});
  for(var i=0;i<NODES.length;i++)for(var j=i+1;j<NODES.length;j++){var a=NODES[i],b=NODES[j],ab=set[a+'>'+b],ba=set[b+'>'+a];if(!ab&&!ba)continue;
    var e=edge(a,b,0),attrs={x1:e[0],y1:e[1],x2:e[2],y2:e[3],stroke:'#d32f2f','stroke-width':2,'stroke-dasharray':'6 4',opacity:0.8};
    if(ab&&!ba)attrs['marker-end']='url(#cutah)';if(ba&&!ab)attrs['marker-start']='url(#cutah)';
    el('line',attrs,gCuts);if(ab!==ba)el('text',{x:(e[0]+e[2])/2,y:(e[1]+e[3])/2-4,'font-size':10,fill:'#d32f2f','text-anchor':'middle'},gCuts,'one-way cut');}}
function drawMsgs(t){gMsgs.textContent='';var live=[];
  for(var k=0;k<MS.length;k++){var s=MS[k],d=MD[k],fade=M.drop[k]?Math.max(d,2e6):0;if(s>t||t>s+d+fade)continue;if(s===t&&d===0)continue;live.push(k);}
  var agg=live.length>24,groups={},placed=[];
  function free(x,y,w){for(var i=0;i<placed.length;i++){var b=placed[i];if(Math.abs(b[0]-x)<(b[2]+w)/2&&Math.abs(b[1]-y)<11)return false;}
    placed.push([x,y,w]);return true;}
  live.forEach(function(k){var key=agg?(M.src[k]+'>'+M.dst[k]):String(k);(groups[key]=groups[key]||[]).push(k);});
  Object.keys(groups).forEach(function(key){var ks=groups[key],k=ks[0],a=NODES[M.src[k]],b=NODES[M.dst[k]];
    var p=0,n=0,drop=0;ks.forEach(function(q){var d=MD[q];p+=d>0?Math.min(1,(t-MS[q])/d):1;n+=M.n[q];drop+=M.drop[q];});p/=ks.length;
    var e=edge(a,b,7),x=e[0]+(e[2]-e[0])*p,y=e[1]+(e[3]-e[1])*p,dx=(e[2]-e[0]),dy=(e[3]-e[1]),L=Math.sqrt(dx*dx+dy*dy)||1;
    var op=1;if(ks.length===1&&M.drop[k]&&t>MS[k]+MD[k]){op=Math.max(0.1,1-(t-MS[k]-MD[k])/Math.max(MD[k],2e6));}
    var col=drop===ks.length?'#d32f2f':'#37474f';
    el('line',{x1:x-dx/L*16,y1:y-dy/L*16,x2:x,y2:y,stroke:col,'stroke-width':2,'marker-end':'url(#ah)',opacity:op},gMsgs);
    var label=agg?(n+' msgs'):(M.types[M.type[k]]+(M.term[k]>=0?' t'+M.term[k]:'')+(M.n[k]>1?' \u00d7'+M.n[k]:'')+(M.drop[k]?' \u2717':''));
    var lx=x+4,ly=y-4,w=label.length*5.8;if(free(lx+w/2,ly,w))el('text',{x:lx,y:ly,'font-size':9.5,fill:col,opacity:op,'class':'mono'},gMsgs,label);});}
function drawLogs(t,cur){LG.textContent='';var hi=0;NODES.forEach(function(n){hi=Math.max(hi,cur[n].last_index);});
  var K=Math.floor((LW-LEFT-70-64)/BOX),lo=Math.max(1,hi-K+1);
  for(var i=lo;i<=hi;i++)el('text',{x:LEFT+70+(i-lo)*BOX+BOX/2,y:16,'font-size':9,'text-anchor':'middle',fill:'#78909c'},LG,String(i));
  NODES.forEach(function(n,r){var s=cur[n],y=24+r*ROWH;
    el('text',{x:6,y:y+20,'font-weight':'700','font-size':13},LG,n);
    if(s.snap_index>0||lo>1){var hidden=Math.min(lo-1,Math.max(s.snap_index,lo-1));
      el('rect',{x:LEFT,y:y+4,width:64,height:BOX,fill:s.snap_index>0?'#cfd8dc':'#fafafa',stroke:'#90a4ae',rx:3},LG);
      el('text',{x:LEFT+32,y:y+20,'font-size':9.5,'text-anchor':'middle'},LG,s.snap_index>0?('snap \u2264'+s.snap_index):('\u2026'+hidden));}
    for(var i=Math.max(lo,s.snap_index+1);i<=s.last_index;i++){var term=termAt(n,i,t),x=LEFT+70+(i-lo)*BOX,c=i<=s.commit;
      el('rect',{x:x+1,y:y+4,width:BOX-2,height:BOX,fill:tc(term),stroke:c?'#263238':'#90a4ae','stroke-width':c?1.5:1,
        'stroke-dasharray':c?'':'3 2',rx:3},LG);
      el('text',{x:x+BOX/2,y:y+20,'font-size':11,'text-anchor':'middle'},LG,term==null?'?':String(term));}
    var cx=LEFT+70+(Math.min(Math.max(s.commit,lo-1),hi)-lo+1)*BOX;
    if(s.commit>=lo-1)el('rect',{x:cx-2,y:y+1,width:3.5,height:BOX+6,fill:'#263238'},LG);
    el('text',{x:LW-6,y:y+20,'font-size':10,'text-anchor':'end',fill:'#56616d'},LG,'c'+s.commit+'/'+s.last_index);});}
var OPW=Math.min(2e9,END);var PROCS=Array.from(new Set(OPS.p)).sort(function(a,b){return a-b;});var NROWS=Math.min(16,Math.max(1,PROCS.length));
OPSV.setAttribute('height',34+NROWS*9);
function drawOps(t){OPSV.textContent='';var W=1240,L=60,lo=t-OPW/2,hi=t+OPW/2,sx=function(x){return L+(x-lo)/(hi-lo)*(W-L-10);};
  el('text',{x:6,y:14,'font-size':11,fill:'#56616d'},OPSV,'clients');
  D.violations.forEach(function(v){if(!v.window)return;var a=Math.max(lo,v.window[0]),b=Math.min(hi,Math.max(v.window[1],v.window[0]+1));
    if(b>a)el('rect',{x:sx(a),y:20,width:Math.max(5,sx(b)-sx(a)),height:NROWS*9+6,fill:'#f48fb1',opacity:0.55},OPSV);});
  var rowOf={};PROCS.forEach(function(p,i){rowOf[p]=i%NROWS;});
  for(var k=0;k<OPS.p.length;k++){var a=OPINV[k],b=OPEND[k];if(a===null)continue;if(b===null)b=END;if(b<lo||a>hi)continue;
    var x1=sx(Math.max(a,lo)),x2=sx(Math.min(b,hi)),y=22+rowOf[OPS.p[k]]*9,ty=OPS.type[k];
    var r=el('rect',{x:x1,y:y,width:Math.max(1.5,x2-x1),height:7,fill:ty===0?'#81c784':(ty===1?'#e57373':'#bdbdbd'),
      stroke:OFFENDING[k]?'#b00020':'none','stroke-width':OFFENDING[k]?2:0},OPSV);el('title',{},r,OPS.text[k]);}
  el('line',{x1:sx(t),y1:18,x2:sx(t),y2:30+NROWS*9,stroke:'#1d2329','stroke-width':1.5},OPSV);
  el('text',{x:sx(t)+4,y:14,'font-size':10},OPSV,'\u00b1'+(OPW/2e9).toFixed(2)+' s');}
function narrationAt(t){var best=null;D.narration.forEach(function(x){if(x.t<=t)best=x;});return best?best.text:'';}
var SL=document.getElementById('slider');SL.max=String(END);
function draw(){var t=T,cur=drawServers(t);drawCuts(t);drawMsgs(t);drawLogs(t,cur);drawOps(t);
  document.getElementById('clock').textContent='t = '+fmt(t);SL.value=String(t);document.getElementById('narration').textContent=narrationAt(t);}
function seek(t){T=Math.max(0,Math.min(END,Math.round(t)));draw();if(!playing)history.replaceState(null,'','#t='+T);}
// ---- controls
var SPEEDS=[0.0005,0.002,0.01,0.05,0.2,1,5],speedI=2,playing=false,last=0;
var SS=document.getElementById('s-speed');SPEEDS.forEach(function(s,i){var o=document.createElement('option');o.value=i;o.textContent=s+'\u00d7';SS.appendChild(o);});
SS.value=speedI;SS.onchange=function(){speedI=+SS.value;};
function frame(ts){if(!playing)return;if(last)T+=(ts-last)*1e6*SPEEDS[speedI];last=ts;if(T>=END){T=END;pause();}draw();if(playing)requestAnimationFrame(frame);}
function play(){if(playing)return;if(T>=END)T=0;playing=true;last=0;document.getElementById('b-play').innerHTML='&#x275A;&#x275A;';requestAnimationFrame(frame);}
function pause(){playing=false;document.getElementById('b-play').innerHTML='&#x25B6;';history.replaceState(null,'','#t='+T);}
function step(dir,mode){var ev=(mode||document.getElementById('s-step').value)==='state'?stateEv:anyEv;pause();
  var i=lastLE(ev,T);var j=dir>0?(i+1):(ev[i]===T?i-1:i);if(j>=0&&j<ev.length)seek(ev[j]);}
document.getElementById('b-play').onclick=function(){playing?pause():play();};
document.getElementById('b-start').onclick=function(){pause();seek(0);};
document.getElementById('b-end').onclick=function(){pause();seek(END);};
document.getElementById('b-prev').onclick=function(){step(-1);};
document.getElementById('b-next').onclick=function(){step(1);};
var BV=document.getElementById('b-viol');if(firstViol===null){BV.disabled=true;BV.title='no violation in result.json';}
BV.onclick=function(){if(firstViol!==null){pause();seek(firstViol);}};
SL.addEventListener('input',function(){pause();seek(+SL.value);});
document.addEventListener('keydown',function(e){if(e.target&&e.target.tagName==='SELECT')return;
  if(e.key===' '){e.preventDefault();playing?pause():play();}
  else if(e.key==='ArrowRight'||e.key==='ArrowLeft'){e.preventDefault();step(e.key==='ArrowRight'?1:-1,e.shiftKey?'state':null);}
  else if(e.key==='v'){BV.onclick();}
  else if(e.key==='+'||e.key==='='){speedI=Math.min(SPEEDS.length-1,speedI+1);SS.value=speedI;}
  else if(e.key==='-'){speedI=Math.max(0,speedI-1);SS.value=speedI;}
  else if(e.key==='Home'){pause();seek(0);}else if(e.key==='End'){pause();seek(END);}});
function fromHash(){var m=location.hash.match(/t=([0-9.]+)(s?)/);if(!m)return null;return m[2]?parseFloat(m[1])*1e9:parseInt(m[1],10);}
window.addEventListener('hashchange',function(){var t=fromHash();if(t!==null&&t!==T){pause();seek(t);}});
var t0=fromHash();T=t0===null?0:Math.max(0,Math.min(END,Math.round(t0)));draw();
window.replay={seek:function(t){pause();seek(t);},time:function(){return T;},state:stateAt};
document.body.setAttribute('data-replay-ready','1');
})();
"""
