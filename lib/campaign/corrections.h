// Built-in corrections: the input edits that answer a failed pw.x or VASP
// run's diagnosis, rewritten from the documented behaviour of
// aiida-quantumespresso's PwBaseWorkChain handlers and custodian's VASP
// handlers (docs/CORRECTIONS.md has the table and where each comes from).
// Pure functions of the inputs' text: no files are read or written here;
// the retry engine fetches the inputs, calls apply_builtin_correction and
// uploads what changed.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xrun::campaign {

// File name in the job directory -> content ("pw.in", "INCAR", "KPOINTS",
// "POSCAR", "CONTCAR").
struct InputFiles {
  std::map<std::string, std::string> text;
};

struct AppliedCorrection {
  std::string name;                // e.g. "qe_scf_not_converged"
  std::string diagnosis;           // the diagnosis it answers
  std::vector<std::string> edits;  // e.g. "pw.in: &ELECTRONS mixing_beta 0.7 -> 0.56"
  bool restart = false;            // QE: restart_mode='restart' was set (keep the outdir)
};

// `code`: "qe", "vasp", the parser names "vasp-outcar", "vasp-xml",
// "vasp-log", "vasp-oszicar", or "auto" (decided from the files: a pw.x
// input among them means qe, an INCAR vasp).
// `diagnosis`: the parser's code (lib/parse/DIAGNOSES.md).
// `attempt`: how many times this diagnosis has now been corrected for the
// job, 1 the first time; corrections that escalate (custodian's error
// counts) take step `attempt` of their ladder, or the first later step that
// still changes something.
// `result_json`: the parser's result of the failed attempt, or "" (read for
// NBANDS, the number of ionic steps).
// Edits `files` in place (only the files named in the edits). Returns
// nullopt when no built-in correction applies, its steps are exhausted, or
// the file it needs is missing. Throws Error(XRUN_E_PARSE) when the input
// it must edit is malformed (the message names the file and line).
std::optional<AppliedCorrection> apply_builtin_correction(const std::string& code, const std::string& diagnosis,
                                                          int attempt, const std::string& result_json,
                                                          InputFiles& files);

// The files the corrections of `code` read or edit. For "qe" this is empty:
// the pw.x input has no fixed name, pass the job's input files and
// find_pw_input picks it. For "vasp": INCAR (required), KPOINTS, POSCAR,
// CONTCAR (used when present).
std::vector<std::string> correction_inputs(const std::string& code);

// Which of `candidates` (name -> text) is the pw.x input: the first, by
// name, that parses with a &CONTROL namelist; "" if none.
std::string find_pw_input(const std::map<std::string, std::string>& candidates);

// Every built-in correction, one row per diagnosis it answers.
struct CorrectionInfo {
  std::string name, code, diagnosis, description;
};
const std::vector<CorrectionInfo>& builtin_corrections();

}  // namespace xrun::campaign
