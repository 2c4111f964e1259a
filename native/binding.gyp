{
  "targets": [
    {
      "target_name": "implab_native",
      "sources": ["implab.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "/usr/include/openblas"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"
      ],
      "cflags!": ["-fexceptions", "-O2"],
      "cflags_cc!": ["-fexceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags": ["-O3", "-fno-exceptions", "-ffp-contract=fast"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "libraries": ["-lopenblas", "-llapacke"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "3",
        "OTHER_CFLAGS": ["-ffp-contract=fast"],
        "GCC_ENABLE_CPP_EXCEPTIONS": "NO",
        "OTHER_LDFLAGS": ["-lopenblas", "-llapacke"]
      }
    }
  ]
}
