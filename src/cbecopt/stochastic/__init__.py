"""Two-stage stochastic programming: extensive form, the standard report, risk, sampling."""
