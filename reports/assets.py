"""The report's inline CSS and JavaScript (no CDN, no external files: the report opens offline).

Rules:
- The script reads one JSON blob (``<script type="application/json" id="report-data">``) and draws the
  interactive client timeline and Lamport diagram into ``#timeline`` and ``#lamport``.
- Any uncaught error is written into the page (``#js-errors``, class ``js-error``) so a reader sees it and a
  headless test can find it; a clean start sets ``data-report-ready="1"`` on ``<body>``.
- Caps: at most MAX_ARROWS message arrows and MAX_OPS operation bars are drawn at once.
"""

from __future__ import annotations

__all__ = ["CSS", "JS"]

CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1d2329;background:#f6f7f9}
header{background:#1d2329;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px;font-weight:600}
header .sub{color:#b8c2cc;font-size:13px}
nav{position:sticky;top:0;z-index:5;background:#fff;border-bottom:1px solid #dde2e7;padding:6px 24px;font-size:13px}
nav a{margin-right:14px;color:#2357a6;text-decoration:none}
main{padding:8px 24px 60px;max-width:1500px}
section{background:#fff;border:1px solid #dde2e7;border-radius:6px;margin:16px 0;padding:12px 18px}
h2{font-size:17px;margin:4px 0 10px}
h3{font-size:14px;margin:12px 0 6px}
table.kv{border-collapse:collapse}
table.kv th{text-align:left;padding:3px 14px 3px 0;color:#56616d;font-weight:500;vertical-align:top;white-space:nowrap}
table.kv td{padding:3px 0}
table.grid{border-collapse:collapse;font-size:13px}
table.grid th,table.grid td{border-bottom:1px solid #e4e8ec;padding:4px 10px;text-align:left;vertical-align:top}
table.grid th{background:#f1f3f5}
code,pre,.mono{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
code.cmd{background:#f1f3f5;padding:2px 6px;border-radius:4px;user-select:all}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;font-weight:600;font-size:12px;color:#fff}
.v-ok{background:#2e9e44}.v-illegal{background:#d43d3d}.v-unknown{background:#e69b00}.v-none{background:#8a96a3}
.notices{background:#fff8e1;border:1px solid #f0c36d;border-radius:6px;padding:10px 16px;margin:16px 0}
.notices h2{color:#8a5a00;font-size:15px;margin:0 0 4px}
.notices li{margin:2px 0}
.js-error{background:#fdecea;border:1px solid #d43d3d;color:#8e1b1b;padding:8px 14px;margin:8px 24px;border-radius:6px}
.plot img{width:100%;max-width:1200px;display:block}
.plot .links{font-size:12px;color:#56616d}
.caption{font-size:12px;color:#56616d;margin:2px 0 8px}
.controls{font-size:13px;margin:6px 0;display:flex;flex-wrap:wrap;gap:6px 14px;align-items:center}
.controls input[type=number]{width:90px}
.controls label{white-space:nowrap;margin-right:8px}
.controls button{font-size:12px;padding:2px 8px}
.note{font-size:12px;color:#8a5a00}
.svgbox{overflow-x:auto;border:1px solid #e4e8ec;border-radius:4px;background:#fff}
#tip{position:fixed;z-index:20;pointer-events:none;background:#1d2329;color:#fff;font:12px/1.35 "DejaVu Sans Mono",monospace;
padding:5px 8px;border-radius:4px;max-width:720px;white-space:pre-wrap;display:none}
.legend span{display:inline-block;margin-right:12px;font-size:12px}
.legend i{display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:-1px;border-radius:2px}
details.log{margin:4px 0}
details.log summary{cursor:pointer;font-weight:600}
details.log pre{max-height:480px;overflow:auto;background:#fafbfc;border:1px solid #e4e8ec;padding:6px 8px;margin:4px 0;white-space:pre}
.cex{border-left:4px solid #d43d3d;padding-left:12px}
.cex ol{margin:4px 0;padding-left:22px}
.hl{background:#fdecea}
"""

JS = r"""
(function(){
'use strict';
var errbox=null;
function showError(msg){
  if(!errbox){errbox=document.createElement('div');errbox.id='js-errors';errbox.className='js-error';
    document.body.insertBefore(errbox,document.body.firstChild);}
  var p=document.createElement('div');p.textContent='Report script error: '+msg;errbox.appendChild(p);
}
window.addEventListener('error',function(e){showError((e.message||'error')+(e.lineno?' (line '+e.lineno+')':''));});
var SVGNS='http://www.w3.org/2000/svg';
var MAX_ARROWS=2000, MAX_OPS=6000;
var D=JSON.parse(document.getElementById('report-data').textContent);
var TYPE_COLORS={ok:'#2e9e44',info:'#e69b00',fail:'#d43d3d'};
var FAULT_COLORS={partition:'#3b7dd8',crash:'#d43d3d',pause:'#9b6cc9',other:'#888888'};
var PALETTE=['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf'];
var tip=document.getElementById('tip');
function el(name,attrs,parent){var e=document.createElementNS(SVGNS,name);for(var k in attrs){e.setAttribute(k,attrs[k]);}
  if(parent){parent.appendChild(e);}return e;}
function ms(ns){return (ns/1e6).toFixed(3)+' ms';}
function hover(node,text){node.addEventListener('mousemove',function(ev){tip.textContent=text;tip.style.display='block';
  var x=ev.clientX+14,y=ev.clientY+14;if(x+tip.offsetWidth>window.innerWidth){x=ev.clientX-tip.offsetWidth-10;}
  if(y+tip.offsetHeight>window.innerHeight){y=ev.clientY-tip.offsetHeight-10;}tip.style.left=x+'px';tip.style.top=y+'px';});
  node.addEventListener('mouseleave',function(){tip.style.display='none';});}
function width(box){return Math.max(600,(box.clientWidth||1200)-4);}
function readWin(prefix,fallback){var a=parseFloat(document.getElementById(prefix+'-from').value),b=parseFloat(document.getElementById(prefix+'-to').value);
  if(!(a>=0)){a=fallback[0]/1e6;}if(!(b>a)){b=Math.max(a+0.001,fallback[1]/1e6);}return [a*1e6,b*1e6];}
function setWin(prefix,w){document.getElementById(prefix+'-from').value=(w[0]/1e6).toFixed(3);
  document.getElementById(prefix+'-to').value=(w[1]/1e6).toFixed(3);}
function axis(svg,x0,x1,sx,y,h){var span=(x1-x0)/1e6,step=Math.pow(10,Math.floor(Math.log10(span/6)));
  [1,2,5,10].some(function(m){if(span/(step*m)<=10){step*=m;return true;}return false;});
  for(var v=Math.ceil(x0/1e6/step)*step;v<=x1/1e6;v+=step){var x=sx(v*1e6);
    el('line',{x1:x,x2:x,y1:y,y2:y+h,stroke:'#eef0f2'},svg);
    var t=el('text',{x:x,y:y+h+13,'font-size':10,'text-anchor':'middle',fill:'#56616d'},svg);
    t.textContent=(step<1?v.toFixed(String(step).split('.')[1].length):Math.round(v))+' ms';}}
function bands(svg,w,sx,y,h,LEFT,right){(D.faults||[]).forEach(function(f){if(f[3]<w[0]||f[2]>w[1]){return;}
  var a=Math.max(LEFT,sx(f[2])),b=Math.min(right,sx(f[3]));var r=el('rect',{x:a,y:y,width:Math.max(1.5,b-a),height:h,
  fill:FAULT_COLORS[f[0]]||'#888','fill-opacity':f[2]===f[3]?0.6:0.12},svg);hover(r,f[1]+'\n'+ms(f[2])+' – '+(f[4]?'end of run':ms(f[3])));});}

// ---------------------------------------------------------------- client timeline
function timeline(){
  var box=document.getElementById('timeline');if(!box){return;}
  var procs=D.procs,lane={};procs.forEach(function(p,i){lane[p]=i;});
  var LROWS=1;(D.leaders||[]).forEach(function(l){LROWS=Math.max(LROWS,l[4]+1);});
  var LH=Math.max(7,Math.min(16,Math.floor(640/Math.max(1,procs.length)))),LEFT=52,TOP=20+LROWS*16;
  function draw(){
    var w=readWin('tl',[0,D.end]);var W=width(box),right=W-10,H=TOP+procs.length*LH+26;
    box.innerHTML='';var svg=el('svg',{width:W,height:H,'font-family':'DejaVu Sans, sans-serif'},box);
    var sx=function(t){return LEFT+(t-w[0])/(w[1]-w[0])*(right-LEFT);};
    axis(svg,w[0],w[1],sx,TOP-4,procs.length*LH+4);
    bands(svg,w,sx,TOP-4,procs.length*LH+4,LEFT,right);
    (D.cex||[]).forEach(function(c){if(!c.window){return;}var a=Math.max(LEFT,sx(c.window[0])),b=Math.min(right,sx(c.window[1]));
      if(b<LEFT||a>right){return;}var r=el('rect',{x:a,y:TOP-4,width:Math.max(2,b-a),height:procs.length*LH+4,fill:'#d43d3d','fill-opacity':0.10,
      stroke:'#d43d3d','stroke-dasharray':'4 3'},svg);hover(r,'illegal window ('+c.checker+')\n'+ms(c.window[0])+' – '+ms(c.window[1]));});
    (D.leaders||[]).forEach(function(l){if(l[3]<w[0]||l[2]>w[1]){return;}var a=Math.max(LEFT,sx(l[2])),b=Math.min(right,sx(l[3]));
      var ly=2+l[4]*16,r=el('rect',{x:a,y:ly,width:Math.max(1,b-a),height:14,fill:PALETTE[D.nodes.indexOf(l[0])%10],'fill-opacity':0.85},svg);
      hover(r,'leader '+l[0]+' term '+l[1]+'\n'+ms(l[2])+' – '+ms(l[3]));
      if(b-a>44){var t=el('text',{x:a+3,y:ly+11,'font-size':10,fill:'#fff','font-weight':'bold'},svg);t.textContent=l[0]+' t'+l[1];}});
    var lt=el('text',{x:4,y:13,'font-size':10,fill:'#56616d'},svg);lt.textContent=LROWS>1?'leaders':'leader';
    procs.forEach(function(p,i){if(LH>=9||i%Math.ceil(9/LH)===0){var t=el('text',{x:LEFT-5,y:TOP+i*LH+LH*0.75,'font-size':Math.min(10,LH),
      'text-anchor':'end',fill:'#56616d'},svg);t.textContent='p'+p;}});
    var shown=0,total=0;
    D.ops.forEach(function(o){var end=(o[3]===null||o[1]==='info')?D.end:o[3];if(end<w[0]||o[2]>w[1]){return;}total++;
      if(shown>=MAX_OPS&&!o[5]){return;}shown++;
      var a=Math.max(LEFT-2,sx(o[2])),b=Math.min(right+2,sx(end)),y=TOP+lane[o[0]]*LH+1;
      var attrs={x:a,y:y,width:Math.max(2,b-a),height:LH-2,fill:TYPE_COLORS[o[1]]||'#888',rx:1.5};
      if(o[1]==='info'){attrs['fill-opacity']=0.45;}
      if(o[5]){attrs.stroke='#000';attrs['stroke-width']=o[5]&2?2.5:1.5;}
      var r=el('rect',attrs,svg);r.setAttribute('data-op',o[6]);
      hover(r,o[4]+(o[5]?'\n(in the counterexample: click to see it)':''));
      if(o[5]){r.style.cursor='pointer';r.addEventListener('click',function(){location.hash='#cex-0';});}});
    document.getElementById('tl-note').textContent=shown<total?('showing '+shown+' of '+total+' operations in this window (cap '+MAX_OPS+'); narrow the window'):(total+' operations in this window');
  }
  document.getElementById('tl-apply').onclick=draw;
  document.getElementById('tl-all').onclick=function(){setWin('tl',[0,D.end]);draw();};
  var f=document.getElementById('tl-fail');if(f){f.onclick=function(){setWin('tl',D.focus);draw();};}
  setWin('tl',D.cex&&D.cex.length&&D.focus?D.focus:[0,D.end]);draw();
  window.addEventListener('resize',draw);
  window.raftsimShowWindow=function(w){setWin('tl',w);draw();setWin('lp',w);if(window.raftsimLamport){window.raftsimLamport();}};
}

// ---------------------------------------------------------------- Lamport diagram
function lamport(){
  var box=document.getElementById('lamport');if(!box){return;}
  var nodeBox=document.getElementById('lp-nodes'),typeBox=document.getElementById('lp-types');
  function checks(parent,names,cls){names.forEach(function(n,i){var l=document.createElement('label');var c=document.createElement('input');
    c.type='checkbox';c.checked=true;c.value=i;c.className=cls;c.onchange=draw;l.appendChild(c);
    var sw=document.createElement('i');sw.style.cssText='display:inline-block;width:10px;height:10px;margin:0 3px;background:'+PALETTE[i%10];
    l.appendChild(sw);l.appendChild(document.createTextNode(n));parent.appendChild(l);});}
  var ABBR=D.types.map(function(t){var a=t.replace(/[^A-Z]/g,'');return a.length>=2?a:t.slice(0,4);});
  checks(nodeBox,D.nodes,'lp-n');checks(typeBox,D.types.map(function(t,i){return t+(ABBR[i]!==t?' ('+ABBR[i]+')':'');}),'lp-t');
  function selected(cls){var s={};Array.prototype.forEach.call(document.querySelectorAll('input.'+cls),function(c){if(c.checked){s[c.value]=1;}});return s;}
  var LEFT=52,TOP=24,GAP=Math.max(48,Math.min(90,360/Math.max(1,D.nodes.length)));
  function draw(){
    var w=readWin('lp',D.focus),ns=selected('lp-n'),ts=selected('lp-t');
    var vis=D.nodes.map(function(n,i){return i;}).filter(function(i){return ns[i];}),row={};vis.forEach(function(i,k){row[i]=k;});
    var W=width(box),right=W-12,H=TOP+Math.max(1,vis.length)*GAP;
    box.innerHTML='';var svg=el('svg',{width:W,height:H,'font-family':'DejaVu Sans, sans-serif'},box);
    var defs=el('defs',{},svg);D.types.forEach(function(t,i){var m=el('marker',{id:'ah'+i,viewBox:'0 0 10 10',refX:10,refY:5,markerWidth:7,markerHeight:7,orient:'auto-start-reverse'},defs);
      el('path',{d:'M0,0L10,5L0,10z',fill:PALETTE[i%10]},m);});
    el('rect',{x:LEFT,y:0,width:right-LEFT,height:H},el('clipPath',{id:'lpclip'},defs));
    var sx=function(t){return LEFT+(t-w[0])/(w[1]-w[0])*(right-LEFT);},sy=function(i){return TOP+row[i]*GAP+GAP/2-10;};
    axis(svg,w[0],w[1],sx,TOP-10,H-TOP-4);
    bands(svg,w,sx,TOP-10,H-TOP-4,LEFT,right);
    vis.forEach(function(i){var y=sy(i);el('line',{x1:LEFT,x2:right,y1:y,y2:y,stroke:'#9aa5b1','stroke-width':1.5},svg);
      var t=el('text',{x:LEFT-8,y:y+4,'font-size':12,'text-anchor':'end','font-weight':'bold',fill:PALETTE[i%10]},svg);t.textContent=D.nodes[i];});
    (D.gaps||[]).forEach(function(g){if(!ns[g[0]]||g[3]<w[0]||g[2]>w[1]){return;}var y=sy(g[0]),a=Math.max(LEFT,sx(g[2])),b=Math.min(right,sx(g[3]));
      var r=el('rect',{x:a,y:y-4,width:Math.max(1,b-a),height:8,fill:g[1]==='down'?'#3a3a3a':'#9b6cc9','fill-opacity':0.5},svg);hover(r,D.nodes[g[0]]+' '+g[1]+'\n'+ms(g[2])+' – '+ms(g[3]));});
    var inwin=D.msgs.filter(function(m){var e=m[4]!==null?m[4]:(m[5]!==null?m[5]:m[3]);return ns[m[0]]&&ns[m[1]]&&ts[m[2]]&&e>=w[0]&&m[3]<=w[1];});
    var draw_=inwin.slice(0,MAX_ARROWS),labels=draw_.length<=60,clip=el('g',{'clip-path':'url(#lpclip)'},svg);
    draw_.forEach(function(m){var c=PALETTE[m[2]%10],x1=sx(m[3]),y1=sy(m[0]),g=el('g',{},clip);
      if(m[4]!==null){var x2=sx(m[4]),y2=sy(m[1]);el('line',{x1:x1,y1:y1,x2:x2,y2:y2,stroke:c,'stroke-width':1.2,'marker-end':'url(#ah'+m[2]+')'},g);
        el('line',{x1:x1,y1:y1,x2:x2,y2:y2,stroke:'transparent','stroke-width':7},g);
        if(labels){var t=el('text',{x:x1+(x2-x1)*0.3+3,y:y1+(y2-y1)*0.3+3,'font-size':9,fill:c},g);t.textContent=ABBR[m[2]];}}
      else{var xe=m[5]!==null?Math.max(sx(m[5]),x1+14):x1+14,ye=y1+(sy(m[1])-y1)*0.35;
        el('line',{x1:x1,y1:y1,x2:xe,y2:ye,stroke:'#d43d3d','stroke-width':1.2,'stroke-dasharray':'3 2'},g);
        var xx=el('text',{x:xe,y:ye+4,'font-size':12,'text-anchor':'middle',fill:'#d43d3d','font-weight':'bold'},g);xx.textContent='×';
        el('line',{x1:x1,y1:y1,x2:xe,y2:ye,stroke:'transparent','stroke-width':7},g);}
      hover(g,m[6]+'\nsent '+ms(m[3])+(m[4]!==null?'  delivered '+ms(m[4]):'  dropped'+(m[7]?' ('+m[7]+')':'')+(m[5]!==null?' at '+ms(m[5]):'')));});
    var GLYPH={leader:'★',candidate:'◆',crash:'✕',restart:'↻',pause:'‖',resume:'▶'};
    (D.marks||[]).forEach(function(k){if(!ns[k[1]]||k[0]<w[0]||k[0]>w[1]){return;}var t=el('text',{x:sx(k[0]),y:sy(k[1])-7,'font-size':13,'text-anchor':'middle',
      fill:k[2]==='leader'?'#2e9e44':(k[2]==='crash'?'#d43d3d':'#333')},svg);t.textContent=GLYPH[k[2]]||'•';hover(t,D.nodes[k[1]]+' '+k[2]+' at '+ms(k[0])+(k[3]?' ('+k[3]+')':''));});
    document.getElementById('lp-note').textContent=(inwin.length>MAX_ARROWS?'showing the first '+MAX_ARROWS+' of '+inwin.length+' messages in this window: narrow the window or filter':
      inwin.length+' messages in this window')+(D.msgs_capped?' (of '+D.msgs_total+' in the run, '+D.msgs.length+' nearest the focus are embedded)':'');
  }
  ['lp-apply'].forEach(function(id){document.getElementById(id).onclick=draw;});
  document.getElementById('lp-focus').onclick=function(){setWin('lp',D.focus);draw();};
  document.getElementById('lp-all').onclick=function(){setWin('lp',[0,D.end]);draw();};
  setWin('lp',D.focus);draw();window.addEventListener('resize',draw);window.raftsimLamport=draw;
}
try{timeline();lamport();
  Array.prototype.forEach.call(document.querySelectorAll('[data-window]'),function(b){b.addEventListener('click',function(){
    var w=JSON.parse(b.getAttribute('data-window'));window.raftsimShowWindow(w);document.getElementById('timeline-section').scrollIntoView();});});
  document.body.setAttribute('data-report-ready','1');
}catch(e){showError(e&&e.stack?e.stack:String(e));}
})();
"""
