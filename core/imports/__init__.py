"""Spreadsheet import and export of people and organisations.

Imports are all-or-nothing: every row is checked first, with the same rules
as the API, and a file with any problem writes nothing and answers with a
report naming the row, the column and the message of each problem.
"""
