#!/usr/bin/env node
// kuma.js drives a real Uptime Kuma (2.0.0-dev.0) through its socket.io API,
// the one its web page uses, for the end-to-end test in e2e/kuma_test.go.
// The events and their arguments are those of server/server.js in the
// uptime-kuma package: "setup" (username, password, cb), "login"
// ({username, password, token}, cb), "loginByToken" (jwt, cb), "add"
// (monitor, cb), and the "monitorList" and "heartbeatList" (monitorID,
// beats) events it sends after a login.
//
// Usage (socket.io-client comes from NODE_PATH, as scripts/install-kuma.sh
// installs it beside Kuma):
//
//   node kuma.js --url http://127.0.0.1:3001 --user U --pass P setup
//   node kuma.js ... login                 (prints {"token": ...})
//   node kuma.js --url URL --token T add-push-monitor --name NAME [--interval 20]
//   node kuma.js ... beats MONITOR_ID
//
// Each prints one JSON value on stdout and exits 0; on any error, or when
// the whole run takes longer than --timeout seconds (default 20), it prints
// "kuma.js: <what failed>" on stderr and exits 1.
"use strict";

const crypto = require("crypto");

/** parseArgs splits argv into --key value options and positional words. */
function parseArgs(argv) {
    const opts = { url: "", user: "", pass: "", token: "", timeout: "20", name: "ntphealth", interval: "20" };
    const words = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a.startsWith("--")) {
            const key = a.slice(2);
            if (!(key in opts)) {
                throw new Error(`unknown option ${a}`);
            }
            if (i + 1 >= argv.length) {
                throw new Error(`option ${a} needs a value`);
            }
            opts[key] = argv[++i];
        } else {
            words.push(a);
        }
    }
    return { opts, words };
}

function fail(msg) {
    process.stderr.write(`kuma.js: ${msg}\n`);
    process.exit(1);
}

/** call emits event with args and resolves with the callback's answer. */
function call(socket, event, ...args) {
    return new Promise((resolve) => socket.emit(event, ...args, resolve));
}

/** connect opens a socket.io connection to Kuma, websocket only. */
function connect(url) {
    const { io } = require("socket.io-client");
    const socket = io(url, { transports: [ "websocket" ], reconnection: false, timeout: 10000 });
    return new Promise((resolve, reject) => {
        socket.on("connect", () => resolve(socket));
        socket.on("connect_error", (err) => reject(new Error(`connect to ${url}: ${err.message}`)));
    });
}

/**
 * login signs in with --token (Kuma's "loginByToken", not rate limited), else
 * with the user and password ("login": at most 20 a minute, loginRateLimiter
 * in server/rate-limiter.js). It returns the session token (a JWT).
 */
async function login(socket, opts) {
    if (opts.token) {
        const res = await call(socket, "loginByToken", opts.token);
        if (!res || !res.ok) {
            throw new Error(`login by token: ${res && res.msg ? res.msg : "refused"}`);
        }
        return opts.token;
    }
    const res = await call(socket, "login", { username: opts.user, password: opts.pass, token: "" });
    if (!res || !res.ok) {
        throw new Error(`login as ${opts.user}: ${res && res.msg ? res.msg : "refused"}`);
    }
    return res.token;
}

/** pushToken returns a random token of Kuma's alphabet ([A-Za-z0-9]). */
function pushToken(length) {
    const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const bytes = crypto.randomBytes(length);
    let s = "";
    for (const b of bytes) {
        s += chars[b % chars.length];
    }
    return s;
}

const commands = {
    /** login prints a session token for --token, so later calls spare the login rate limit. */
    async login(socket, opts) {
        return { token: await login(socket, opts) };
    },

    /** setup creates the first user (Kuma's "setup" event). */
    async setup(socket, opts) {
        const res = await call(socket, "setup", opts.user, opts.pass);
        if (!res || !res.ok) {
            throw new Error(`setup: ${res && res.msg ? res.msg : "refused"}`);
        }
        return { ok: true };
    },

    /**
     * add-push-monitor adds a Push monitor expecting a heartbeat every
     * --interval seconds (Kuma's minimum is 20, MIN_INTERVAL_SECOND in
     * src/util.js) and no retries, so a missed heartbeat is DOWN at once.
     */
    async "add-push-monitor"(socket, opts) {
        await login(socket, opts);
        const interval = Number(opts.interval);
        const token = pushToken(32);
        const monitor = {
            type: "push",
            name: opts.name,
            pushToken: token,
            interval: interval,
            retryInterval: interval,
            resendInterval: 0,
            maxretries: 0,
            upsideDown: false,
            active: true,
            notificationIDList: {},
            accepted_statuscodes: [ "200-299" ],
            kafkaProducerBrokers: [],
            kafkaProducerSaslOptions: { mechanism: "None" },
        };
        const res = await call(socket, "add", monitor);
        if (!res || !res.ok) {
            throw new Error(`add monitor: ${res && res.msg ? res.msg : "refused"}`);
        }
        return { monitorID: res.monitorID, pushToken: token };
    },

    /**
     * beats lists the monitor's newest 100 heartbeats, oldest first, from the
     * "heartbeatList" event Kuma sends for each monitor after a login
     * (server/client.js sendHeartbeatList). getMonitorBeats is not used: on
     * SQLite this build sends it MariaDB's SQL (Database.sqlHourOffset reads
     * dbConfig.client, which a {"type":"sqlite"} db-config.json lacks) and
     * answers SQLITE_ERROR.
     */
    async beats(socket, opts, words) {
        const id = Number(words[0]);
        if (!Number.isInteger(id) || id <= 0) {
            throw new Error("beats needs a monitor id");
        }
        const list = new Promise((resolve, reject) => {
            socket.on("monitorList", (monitors) => {
                if (!(id in monitors)) {
                    reject(new Error(`no monitor ${id} in Kuma's monitor list`));
                }
            });
            socket.on("heartbeatList", (monitorID, beats) => {
                if (Number(monitorID) === id) {
                    resolve(beats);
                }
            });
        });
        await login(socket, opts);
        const beats = await list;
        return beats.map((b) => ({
            status: b.status,
            msg: b.msg,
            ping: b.ping,
            time: b.time,
            important: Boolean(b.important),
        }));
    },
};

async function main() {
    const { opts, words } = parseArgs(process.argv.slice(2));
    const timeout = Number(opts.timeout);
    if (!(timeout > 0)) {
        throw new Error(`--timeout ${opts.timeout}: want seconds above 0`);
    }
    setTimeout(() => fail(`no answer from Kuma at ${opts.url} within ${timeout} s`), timeout * 1000).unref();
    const cmd = commands[words[0]];
    if (!cmd) {
        throw new Error(`unknown command ${JSON.stringify(words[0] || "")}: use setup, login, add-push-monitor or beats`);
    }
    if (!opts.url || ((!opts.user || !opts.pass) && !opts.token)) {
        throw new Error("--url and either --user and --pass or --token are required");
    }
    const socket = await connect(opts.url);
    try {
        const out = await cmd(socket, opts, words.slice(1));
        process.stdout.write(JSON.stringify(out) + "\n");
    } finally {
        socket.close();
    }
}

main().then(() => process.exit(0), (err) => fail(err.message));
