//! Many machines, one answer: a run's tally written losslessly as a partial report
//! ([`partial`]), and partial reports of many machines, files or byte ranges added up
//! into the report one run over all of them gives ([`merge`]).

pub mod merge;
pub mod partial;
