"""An interface engine's side of the HL7 feed tests: builds ORU, ADT and SIU messages with hl7apy (a
third-party HL7 v2 library) and sends them over MLLP, printing each ACK as one JSON line.

    send.py PORT PATIENT_JSON STEP...

PATIENT_JSON: {"mrn", "authority", "family", "given", "birth_date" (YYYYMMDD), "sex"}. A STEP is
KIND:CONTROL_ID, KIND being oru-critical, oru-corrected, adt-a08, siu-s12, siu-s15 or malformed.

Over TLS when HL7_TLS_CA names the receiver's certificate authority (PEM); HL7_TLS_CERT and
HL7_TLS_KEY add a client certificate.
"""
import datetime
import json
import os
import socket
import ssl
import sys

from hl7apy.core import Message

VT, FS, CR = b"\x0b", b"\x1c", b"\x0d"


def header(message, kind, control_id, sender="LIS", facility="ACME LAB"):
    msh = message.msh
    msh.msh_3 = sender
    msh.msh_4 = facility
    msh.msh_5 = "SWITCHBOARD"
    msh.msh_6 = "CLINIC"
    msh.msh_7 = stamp(datetime.datetime.now())
    msh.msh_9 = kind
    msh.msh_10 = control_id
    msh.msh_11 = "P"


def stamp(when):
    return when.strftime("%Y%m%d%H%M%S")


def pid(segment, patient):
    segment.pid_3 = f"{patient['mrn']}^^^{patient['authority']}^MR"
    segment.pid_5 = f"{patient['family']}^{patient['given']}"
    segment.pid_7 = patient["birth_date"]
    segment.pid_8 = patient["sex"]


def oru(control_id, patient, value, flag, status):
    message = Message("ORU_R01", version="2.5")
    header(message, "ORU^R01^ORU_R01", control_id)
    result = message.add_group("ORU_R01_PATIENT_RESULT")
    pid(result.add_group("ORU_R01_PATIENT").pid, patient)
    order = result.add_group("ORU_R01_ORDER_OBSERVATION")
    taken = stamp(datetime.datetime.now() - datetime.timedelta(hours=1))
    order.obr.obr_1 = "1"
    order.obr.obr_3 = f"F-{patient['mrn']}^ACME"
    order.obr.obr_4 = "2823-3^Potassium [Moles/volume] in Serum or Plasma^LN"
    order.obr.obr_7 = taken
    order.obr.obr_25 = status
    observation = order.add_group("ORU_R01_OBSERVATION")
    obx = observation.obx
    obx.obx_1 = "1"
    obx.obx_2 = "NM"
    obx.obx_3 = "2823-3^Potassium [Moles/volume] in Serum or Plasma^LN"
    obx.obx_5 = value
    obx.obx_6 = "mmol/L"
    obx.obx_7 = "3.5-5.1"
    obx.obx_8 = flag
    obx.obx_11 = status
    obx.obx_14 = taken
    return message.to_er7()


def adt_a08(control_id, patient):
    message = Message("ADT_A01", version="2.5")
    header(message, "ADT^A08^ADT_A01", control_id, sender="EHR", facility="CLINIC")
    message.evn.evn_2 = stamp(datetime.datetime.now())
    pid(message.pid, patient)
    message.pid.pid_13 = "(555)010-2030^PRN^PH"
    message.pv1.pv1_2 = "O"
    return message.to_er7()


def siu(control_id, patient, event):
    message = Message("SIU_S12", version="2.5")
    header(message, f"SIU^{event}^SIU_S12", control_id, sender="SCHED", facility="CLINIC")
    message.sch.sch_1 = f"P-{patient['mrn']}"
    message.sch.sch_2 = f"A-{patient['mrn']}^SCHED"
    message.sch.sch_7 = "FU^Follow-up visit^L"
    pid(message.add_group("SIU_S12_PATIENT").pid, patient)
    resources = message.add_group("SIU_S12_RESOURCES")
    resources.rgs.rgs_1 = "1"
    service = resources.add_group("SIU_S12_SERVICE")
    service.ais.ais_1 = "1"
    service.ais.ais_3 = "99213^Office visit^C4"
    start = (datetime.datetime.now() + datetime.timedelta(days=3)).replace(hour=9, minute=30, second=0)
    service.ais.ais_4 = stamp(start)
    service.ais.ais_7 = "20"
    service.ais.ais_8 = "min"
    return message.to_er7()


def build(kind, control_id, patient):
    if kind == "oru-critical":
        return oru(control_id, patient, "6.9", "HH", "F")
    if kind == "oru-corrected":
        return oru(control_id, patient, "4.4", "N", "C")
    if kind == "adt-a08":
        return adt_a08(control_id, patient)
    if kind in ("siu-s12", "siu-s15"):
        return siu(control_id, patient, kind[-3:].upper())
    if kind == "malformed":
        return f"MSH|^~\\&|LIS|ACME LAB|SWITCHBOARD|CLINIC|{stamp(datetime.datetime.now())}||ORU^R01|{control_id}|P|2.5\rPID|1||X^^^CLINIC\rOBR|1||F1^ACME|2823-3^Potassium^LN\rOBX|1|NM|||1|||||F"
    raise SystemExit(f"unknown step {kind}")


def send(sock, text):
    sock.sendall(VT + text.encode("utf-8") + FS + CR)
    reply = b""
    while not reply.endswith(FS + CR):
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("the receiver closed the connection without an ACK")
        reply += chunk
    return reply[1:-2].decode("utf-8")


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    authority = os.environ.get("HL7_TLS_CA")
    if not authority:
        return sock
    context = ssl.create_default_context(cafile=authority)
    if os.environ.get("HL7_TLS_CERT"):
        context.load_cert_chain(os.environ["HL7_TLS_CERT"], os.environ["HL7_TLS_KEY"])
    return context.wrap_socket(sock, server_hostname="localhost")


def main():
    port, patient = int(sys.argv[1]), json.loads(sys.argv[2])
    with connect(port) as sock:
        for step in sys.argv[3:]:
            kind, control_id = step.split(":", 1)
            ack = send(sock, build(kind, control_id, patient))
            msa = next(s for s in ack.split("\r") if s.startswith("MSA")).split("|")
            err = [s for s in ack.split("\r") if s.startswith("ERR")]
            print(json.dumps({"step": kind, "control_id": control_id, "ack": msa[1], "acked_id": msa[2], "text": msa[3] if len(msa) > 3 else "", "err": err[0] if err else ""}), flush=True)


if __name__ == "__main__":
    main()
