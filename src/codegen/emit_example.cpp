// The example program's text (emit_example.h).
#include "codegen/emit_example.h"

#include <span>

#include "codegen/c_writer.h"

namespace tinyopt::codegen {

std::string example_source(CodegenFormat format, const std::string& title, const std::vector<int8_t>& sample,
                           const std::string& what) {
  const bool arduino = format == CodegenFormat::kArduino;
  CWriter w;
  w.line(std::string(arduino ? "// " : "/* ") + "Example for " + c_comment(title) +
         ": runs one embedded input through the model and prints the int8 output and its argmax." +
         (arduino ? "" : " */"));
  if (arduino) {
    w.line("#include <tinyopt_model.h>");
  } else {
    w.line("#include <stdio.h>");
    w.line();
    w.line("#include \"model.h\"");
  }
  w.line();
  w.line((arduino ? "// " : "/* ") + c_comment(what) + ", quantized with the model's input scale and zero point" +
         (arduino ? "" : " */"));
  w.array("static const int8_t sample_input[TINYOPT_MODEL_INPUT_SIZE]", std::span<const int8_t>(sample), 24);
  w.line("static int8_t output[TINYOPT_MODEL_OUTPUT_SIZE];");
  w.line();
  // The shared part: run, then the argmax (or -1 when the model failed).
  w.open("static int run_model(void)");
  w.line("int i, best = 0;");
  w.line("if (tinyopt_model_invoke(sample_input, output) != 0) return -1;");
  w.line("for (i = 1; i < TINYOPT_MODEL_OUTPUT_SIZE; ++i)");
  w.line("  if (output[i] > output[best]) best = i;");
  w.line("return best;");
  w.close();
  w.line();
  if (arduino) {
    w.open("void setup()");
    w.line("Serial.begin(115200);");
    w.line("const int best = run_model();");
    w.line("if (best < 0) {");
    w.line("  Serial.println(\"tinyopt_model_invoke failed\");");
    w.line("  return;");
    w.line("}");
    w.line("Serial.print(\"output:\");");
    w.open("for (int i = 0; i < TINYOPT_MODEL_OUTPUT_SIZE; ++i)");
    w.line("Serial.print(' ');");
    w.line("Serial.print((int)output[i]);");
    w.close();
    w.line("Serial.print(\"\\nargmax: \");");
    w.line("Serial.println(best);");
    w.close();
    w.line();
    w.line("void loop() {}");
    return w.text();
  }
  const bool idf = format == CodegenFormat::kEspIdf;
  w.open(idf ? "void app_main(void)" : "int main(void)");
  w.line("int i;");
  w.line("const int best = run_model();");
  w.open("if (best < 0)");
  w.line("printf(\"tinyopt_model_invoke failed\\n\");");
  w.line(idf ? "return;" : "return 1;");
  w.close();
  w.line("printf(\"output:\");");
  w.line("for (i = 0; i < TINYOPT_MODEL_OUTPUT_SIZE; ++i) printf(\" %d\", (int)output[i]);");
  w.line("printf(\"\\nargmax: %d\\n\", best);");
  if (!idf) w.line("return 0;");
  w.close();
  return w.text();
}

}  // namespace tinyopt::codegen
