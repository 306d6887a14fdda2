"""Prints each failed test of the given .trx files with the start of its message.

CI shows only the tail of the output; this puts the names of the failures there, each with the
folder of its run (etcd-<version>).
"""
import os
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}

for path in sys.argv[1:]:
    for result in ET.parse(path).getroot().iterfind(".//t:UnitTestResult", NS):
        if result.get("outcome") != "Failed":
            continue
        message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=NS)
        stack = result.findtext("t:Output/t:ErrorInfo/t:StackTrace", default="", namespaces=NS)
        run = os.path.basename(os.path.dirname(os.path.abspath(path)))
        print(f"FAILED [{run}] {result.get('testName')} ({result.get('duration')})")
        for line in (message.strip().splitlines()[:25] + stack.strip().splitlines()[:8]):
            print(f"    {line}")
