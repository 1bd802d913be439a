# The two commands of the README:  make demo  (avatar from the sample photo)  and  make test.
# Both set up .venv/ first: Python 3.11 (bpy 5.0.1 needs it), the pinned runtime, bpy, pytest,
# and the `likeness` command in .venv/bin.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.likeness-setup
BLENDER_EXT = $(PY) $(shell ls -d $(VENV)/lib/python3.11/site-packages/bpy 2>/dev/null)/5.0/scripts/addons_core/bl_pkg/cli/blender_ext.py

.PHONY: setup demo test extension clean

setup: $(STAMP)

$(STAMP): requirements/runtime.txt requirements/dev.txt requirements/constraints.txt
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is needed (bpy 5.0.1)"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install -r requirements/dev.txt
	printf '#!/bin/sh\nexec "%s" "%s" "$$@"\n' "$(abspath $(PY))" "$(abspath cli.py)" > $(VENV)/bin/likeness
	chmod +x $(VENV)/bin/likeness
	touch $@

demo: setup
	$(VENV)/bin/likeness avatar --sample --out out/sample --glb --preview

test: setup
	$(PY) -m pytest -q tests

extension: setup
	$(BLENDER_EXT) build --source-dir . --output-dir dist

clean:
	rm -rf $(VENV) out dist
