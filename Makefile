# The two commands of the README:  make demo  (avatar from the sample photo)  and  make test.
# Both set up .venv/ first: Python 3.11 (bpy 5.0.1 needs it), the pinned runtime, bpy, pytest,
# and the `likeness` command in .venv/bin. make test = the full suite on bpy 5.0.1 (test-main)
# plus the compact suite on every supported Blender (matrix: tools/matrix.py, .matrix/).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.likeness-setup
WEB_STAMP := node_modules/.likeness-setup
CHROMIUM := /usr/bin/chromium
ESPEAK := /usr/bin/espeak-ng
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BLENDER_EXT = $(PY) $(wildcard $(VENV)/lib/python3.11/site-packages/bpy/*/scripts/addons_core/bl_pkg/cli/blender_ext.py)
ZIP := dist/likeness-$(shell sed -n 's/^version = "\(.*\)"/\1/p' blender_manifest.toml).zip

.PHONY: setup demo test test-fast test-main matrix extension clean
# The fast tier: core and worker-protocol tests without Blender (about a minute here).
FAST_TESTS := tests/test_colour_difference.py tests/test_core_same_person.py tests/test_core_hair_strands.py tests/test_core_lipsync.py tests/test_voice_lipsync.py tests/test_voice_motion.py \
              tests/test_runtime.py tests/test_worker.py

# Speech in six languages for the lip-sync tests and benches is synthesised by Debian's
# espeak-ng (tools/speech_synth.py drives libespeak-ng.so.1 for its phoneme timings).
setup: $(STAMP) $(WEB_STAMP)
	[ -x $(ESPEAK) ] || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends espeak-ng; }

$(STAMP): requirements/runtime.txt requirements/dev.txt requirements/constraints.txt
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is needed (bpy 5.0.1)"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install -r requirements/dev.txt
	printf '#!/bin/sh\nexec "%s" "%s" "$$@"\n' "$(abspath $(PY))" "$(abspath cli.py)" > $(VENV)/bin/likeness
	chmod +x $(VENV)/bin/likeness
	touch $@

# The glTF checks (tools/web/): Debian's chromium (driven by playwright-core, never a downloaded
# browser) and the npm packages pinned in package-lock.json. Node.js 20+ comes from apt if absent.
$(WEB_STAMP): package.json package-lock.json
	command -v npm >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends nodejs npm; }
	node -e 'if (+process.versions.node.split(".")[0] < 20) { console.error("Node.js 20+ is needed (playwright-core), found " + process.version); process.exit(1) }'
	[ -x $(CHROMIUM) ] || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium; }
	npm ci --no-audit --no-fund
	touch $@

demo: setup
	$(VENV)/bin/likeness avatar --sample --out out/sample --glb --preview

test: test-main matrix

test-fast: setup
	$(PY) -m pytest -q $(FAST_TESTS)

test-main: setup
	$(PY) -m pytest -q tests --ignore=tests/matrix

# One zip for every Blender, as the README installs it (make extension), into each version.
matrix: extension
	LIKENESS_TEST_ZIP=$(abspath $(ZIP)) $(PY) tools/matrix.py $(VERSIONS)

extension: setup
	mkdir -p dist
	$(BLENDER_EXT) build --source-dir . --output-dir dist

clean:
	rm -rf $(VENV) out dist .matrix
