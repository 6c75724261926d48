// The dashboard's words in English and Chinese. Protocol terms an operator searches logs for
// (MASTER, BACKUP, FAULT, addresses, instance names) stay as the daemon prints them.

/** @typedef {'en' | 'zh'} Lang */

export const LANGS = /** @type {const} */ (['en', 'zh']);

export const STRINGS = {
  en: {
    title: 'vigil dashboard',
    switchTo: '中文',
    live: 'live',
    polling: 'reconnecting…',
    offline: 'daemon unreachable',
    unauthorized: 'the API wants a token',
    tokenLabel: 'API token',
    tokenUse: 'Use token',
    actions: 'Actions',
    actDrain: 'Drain',
    actDisable: 'Disable',
    actEnable: 'Enable',
    actWeight: 'Weight…',
    actRemove: 'Remove',
    askDrain:
      'Drain {rs} of {vs}? Its weight goes to 0: new connections go to the other real servers, established ones stay.',
    askDisable: 'Disable {rs} of {vs}? It leaves the service: new connections go elsewhere.',
    askEnable: 'Enable {rs} of {vs} again, with its configured weight?',
    askWeight: 'Set the weight of {rs} of {vs} (0–65535):',
    askRemove:
      'Remove {rs} from {vs}? It was added at run time: it leaves the service and its checks stop, and a reload does not bring it back.',
    removed: 'Removed {rs} from {vs}',
    confirm: 'Confirm',
    cancel: 'Cancel',
    sending: 'Sending…',
    done: '{action}: {rs} of {vs}, weight in force {weight}',
    failed: '{action} of {rs} failed: {error}',
    updated: 'updated {time}',
    daemon: 'pid {pid} · {config} · {reloads} reloads',
    cluster: 'Cluster',
    noInstances: 'No VRRP instance runs on this node.',
    vrrpDown: 'VRRP process: {error}',
    master: 'Master',
    thisNode: 'this node ({address})',
    peer: '{address} (priority {priority})',
    unknown: 'not known yet',
    priority: 'Priority',
    priorityValue: '{effective} effective / {base} base',
    vips: 'Virtual IPs',
    iface: 'Interface',
    ifaceValue: '{iface}, VRID {vrid}',
    syncGroup: 'Sync group',
    lastAdvert: 'Peer heard',
    history: '15 min',
    historyTitle: '{rs} of {vs}, last 15 minutes (the daemon keeps a point every {step} s)',
    historyLegend: 'connections/s (max {cps}) · traffic (max {bps})',
    historyEmpty: 'No point yet: the daemon records one every {step} s.',
    historyClose: 'Close',
    lastAdvertValue: '{address}, priority {priority}, {ago} ago',
    faults: 'Faults',
    notRunning: '{name} is not running: {error}',
    services: 'Virtual services',
    noServices: 'No virtual service on this node.',
    checkerDown: 'Checker process: {error}',
    engine: 'data plane: {engine}',
    realServer: 'Real server',
    state: 'State',
    weight: 'Weight',
    active: 'Active conns',
    inactive: 'Inactive conns',
    traffic: 'Traffic',
    rates: '{cps} conn/s · in {in} · out {out}',
    up: 'up',
    down: 'down',
    drained: 'drained',
    disabled: 'disabled',
    reweighted: 'weight set at run time',
    added: 'added at run time',
    noCounters: 'no counters from this data plane',
    timeline: 'State changes',
    noTransitions: 'No state change yet.',
    events: 'Event log',
    noEvents: 'No event since this page opened.',
    evReload: 'configuration reloaded',
    evPriority: 'priority {priority}',
    evWeight: 'weight {weight}',
    evUnknown: '{kind}',
  },
  zh: {
    title: 'vigil 控制台',
    switchTo: 'English',
    live: '实时',
    polling: '重新连接中…',
    offline: '无法连接守护进程',
    unauthorized: 'API 需要令牌',
    tokenLabel: 'API 令牌',
    tokenUse: '使用令牌',
    actions: '操作',
    actDrain: '排空',
    actDisable: '禁用',
    actEnable: '启用',
    actWeight: '权重…',
    actRemove: '移除',
    askDrain: '排空 {vs} 的 {rs}？其权重降为 0：新连接转到其他真实服务器，已建立的连接保留。',
    askDisable: '禁用 {vs} 的 {rs}？它将退出该服务：新连接转到别处。',
    askEnable: '重新启用 {vs} 的 {rs}，恢复其配置权重？',
    askWeight: '设置 {vs} 的 {rs} 的权重（0–65535）：',
    askRemove: '从 {vs} 移除 {rs}？它是运行时添加的：它将退出该服务并停止健康检查，重载后也不会恢复。',
    removed: '已从 {vs} 移除 {rs}',
    confirm: '确认',
    cancel: '取消',
    sending: '发送中…',
    done: '{action}：{vs} 的 {rs}，当前权重 {weight}',
    failed: '{rs} 的 {action} 操作失败：{error}',
    updated: '更新于 {time}',
    daemon: '进程 {pid} · {config} · 已重载 {reloads} 次',
    cluster: '集群',
    noInstances: '本节点没有运行 VRRP 实例。',
    vrrpDown: 'VRRP 进程：{error}',
    master: '主节点',
    thisNode: '本节点（{address}）',
    peer: '{address}（优先级 {priority}）',
    unknown: '尚未知晓',
    priority: '优先级',
    priorityValue: '有效 {effective} / 基础 {base}',
    vips: '虚拟 IP',
    iface: '接口',
    ifaceValue: '{iface}，VRID {vrid}',
    syncGroup: '同步组',
    lastAdvert: '最近收到的通告',
    history: '15 分钟',
    historyTitle: '{vs} 的 {rs}：最近 15 分钟（守护进程每 {step} 秒记录一个点）',
    historyLegend: '连接/秒（最大 {cps}）· 流量（最大 {bps}）',
    historyEmpty: '尚无数据点：守护进程每 {step} 秒记录一个。',
    historyClose: '关闭',
    lastAdvertValue: '{address}，优先级 {priority}，{ago}前',
    faults: '故障',
    notRunning: '{name} 未运行：{error}',
    services: '虚拟服务',
    noServices: '本节点没有虚拟服务。',
    checkerDown: '健康检查进程：{error}',
    engine: '数据平面：{engine}',
    realServer: '真实服务器',
    state: '状态',
    weight: '权重',
    active: '活动连接',
    inactive: '非活动连接',
    traffic: '流量',
    rates: '{cps} 连接/秒 · 入 {in} · 出 {out}',
    up: '正常',
    down: '故障',
    drained: '排空中',
    disabled: '已禁用',
    reweighted: '运行时调整权重',
    added: '运行时添加',
    noCounters: '该数据平面没有计数器',
    timeline: '状态变化时间线',
    noTransitions: '尚无状态变化。',
    events: '事件日志',
    noEvents: '本页打开以来尚无事件。',
    evReload: '配置已重新加载',
    evPriority: '优先级 {priority}',
    evWeight: '权重 {weight}',
    evUnknown: '{kind}',
  },
};

/** @typedef {keyof typeof STRINGS.en} Key */

/**
 * The language to show: the one the user chose before, else the browser's first preference that
 * is Chinese or English, else English.
 * @param {string | null | undefined} stored
 * @param {readonly string[]} preferred navigator.languages
 * @returns {Lang}
 */
export function pickLanguage(stored, preferred) {
  if (stored === 'en' || stored === 'zh') return stored;
  for (const l of preferred) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'zh' || base === 'en') return base;
  }
  return 'en';
}

/**
 * The text for a key with {name} placeholders filled in.
 * @param {Lang} lang
 * @param {Key} key
 * @param {Record<string, string | number>} [vars]
 */
export function translate(lang, key, vars = {}) {
  const text = STRINGS[lang][key] ?? STRINGS.en[key];
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}
