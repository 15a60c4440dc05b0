#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# report.py LOAD.txt STAGES.txt ISSUED NCPU: the provisioning benchmark table.
import sys


def kv(path):
    d = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                d[k] = v
    return d


load, st = kv(sys.argv[1]), kv(sys.argv[2])
issued, ncpu = sys.argv[3], int(sys.argv[4])
shm = kv(sys.argv[5]) if len(sys.argv) > 5 else {}
us = {k[3:]: float(v) for k, v in st.items() if k.startswith("us_")}
TARGET = 300.0

ok = int(load.get("ok", 0))
dps = float(load.get("devices_per_s", 0))
cpu_spp = float(load.get("cpu_spp_s", -1))
cpu_dev = float(load.get("cpu_emu_s", 0)) + float(load.get("cpu_load_s", 0))
wall = float(load.get("wall_s", 1))

spp_stages = ["tls_server", "claim_identity", "claim_keypair", "keygen",
              "build_package", "encode", "verify", "record_sign", "commit"]
dev_stages = ["tls_client", "device_check", "device_wrap"]
spp_sum = sum(us[s] for s in spp_stages)
dev_sum = sum(us[s] for s in dev_stages)
db_sum = us["claim_identity"] + us["claim_keypair"] + us["commit"]
f_spp = (us["floor_tls_server"] + us["floor_keygen"] + 2 * us["floor_sign"] +
         us["floor_hkdf"] + us["floor_hmac_sha"])
f_dev = (us["floor_tls_client"] + 2 * us["floor_verify"] + 2 * us["floor_hkdf"] +
         us["floor_gcm_wrap_unwrap"] + us["floor_hmac_sha"])

print("#")
print("# == end to end: %s of %s devices provisioned (%s issued in the store), %.1f s ==" %
      (ok, load.get("devices"), issued, wall))
print("%-52s %10s %10s" % ("", "value", "vs target"))
print("%-52s %10.1f %9.2fx" % ("throughput, devices/s (durable, SQLite)", dps, dps / TARGET))
if cpu_spp >= 0 and ok:
    per = 1e3 * cpu_spp / ok
    print("%-52s %10.2f" % ("SPP CPU per device, ms", per))
    print("%-52s %10.2f" % ("device side CPU per device (emulators + loader), ms", 1e3 * cpu_dev / ok))
    print("%-52s %10.0f %9.2fx" % ("SPP CPU-bound ceiling if it had all %d CPUs, dev/s" % ncpu,
                                    ncpu * 1e3 / per, ncpu * 1e3 / per / TARGET))
    print("%-52s %10.1f%%" % ("CPU busy (SPP + devices) / %d CPUs" % ncpu,
                               100 * (cpu_spp + cpu_dev) / wall / ncpu))
if shm:
    d2 = float(shm.get("devices_per_s", 0))
    print("%-52s %10.1f %9.2fx" % ("same on tmpfs (fsync ~free, not durable), dev/s", d2, d2 / TARGET))
    if float(shm.get("cpu_spp_s", -1)) >= 0 and int(shm.get("ok", 0)):
        o2 = int(shm["ok"])
        c2 = float(shm["cpu_spp_s"]) + float(shm.get("cpu_emu_s", 0)) + float(shm.get("cpu_load_s", 0))
        print("%-52s %10.1f%%" % ("  tmpfs: CPU busy / %d CPUs" % ncpu,
                                   100 * c2 / float(shm["wall_s"]) / ncpu))
print("#")
print("# latency per phase as seen by the device, ms:        mean      p50      p99")
for p in ["chip_read", "tls_connect", "hello_to_offer", "device_wrap", "backup_to_done", "total"]:
    v = load.get("phase_%s_ms" % p)
    if v:
        a = v.split()
        print("%-48s %8s %8s %8s" % ("  " + p, a[0], a[1], a[2]))
print("#")
print("# == stages, in-process, one thread, %s iterations (us per device) ==" % st.get("iterations"))
print("%-40s %10s %12s" % ("SPP stage", "us", "1-core /s"))
for s in spp_stages + ["cert_sign", "cert_sign_proposed"]:
    note = {"cert_sign": "  (part of build_package)",
            "cert_sign_proposed": "  (same cert, X509_PUBKEY_set0_param)"}.get(s, "")
    print("%-40s %10.1f %12.0f%s" % ("  " + s, us[s], 1e6 / us[s] if us[s] else 0, note))
print("%-40s %10.1f %12.0f" % ("  SPP total", spp_sum, 1e6 / spp_sum))
print("%-40s %10.1f %12.0f" % ("  of which SQLite (claims + commit)", db_sum, 1e6 / db_sum))
print("%-40s %10s %12s" % ("device stage", "us", ""))
for s in dev_stages:
    print("%-40s %10.1f" % ("  " + s, us[s]))
print("%-40s %10.1f" % ("  device total", dev_sum))
print("#")
print("# == crypto-only floor (plain OpenSSL, same run) ==")
for k in ["floor_tls_server", "floor_tls_client", "floor_keygen", "floor_sign", "floor_verify",
          "floor_hkdf", "floor_gcm_wrap_unwrap", "floor_hmac_sha"]:
    print("%-40s %10.1f" % ("  " + k[6:] + " us", us[k]))
print("%-40s %10.1f   (TLS server + keygen + 2 signs + HKDF + HMAC)" % ("  SPP floor per device, us", f_spp))
print("%-40s %10.1f   (TLS client + 2 verifies + 2 HKDF + GCM + HMAC)" % ("  device floor per device, us", f_dev))
print("%-52s %10.0f %9.2fx" % ("floor, SPP alone on %d CPUs, dev/s" % ncpu, ncpu * 1e6 / f_spp,
                               ncpu * 1e6 / f_spp / TARGET))
print("%-52s %10.0f %9.2fx" % ("floor, SPP + devices on the same %d CPUs, dev/s" % ncpu,
                               ncpu * 1e6 / (f_spp + f_dev), ncpu * 1e6 / (f_spp + f_dev) / TARGET))
print("%-52s %10.2fx" % ("measured / floor (SPP + devices)", dps / (ncpu * 1e6 / (f_spp + f_dev))))
print("%-52s %10.2fx" % ("SPP stage CPU (without SQLite) / SPP floor", (spp_sum - db_sum) / f_spp))
print("# sizes: data package %s B, backup %s B, certificate %s B, signed record %s B" %
      (st.get("size_data_package"), st.get("size_backup"), st.get("size_cert"),
       st.get("size_signed_record")))
