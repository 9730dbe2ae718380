"""法治: people's mediation (人民调解) of disputes, the monthly screening of disputes and the
register of risks to stability (矛盾纠纷排查, 不稳定因素), and the legal basis and advice
(一村（社区）一法律顾问)."""
