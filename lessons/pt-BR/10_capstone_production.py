# %% [markdown]
# # 10 · Projeto final, parte 2: servido, retreinado, promovido
#
# A parte 1 rastreou uma busca e deixou o melhor modelo dela no registro de modelos (Model
# Registry) como `capstone_precos@champion`. Esta parte leva esse campeão até o fim: servido
# via REST, depois desafiado por um fluxo (flow) do Prefect que retreina e promove só quando
# o novo modelo é melhor e, por fim, avaliado, uma única vez, em casas que nenhuma escolha
# viu. Cada um dos dois marcos (milestones) termina com uma verificação que lê de volta o
# estado do laboratório (o log do servidor de modelos, o registro de modelos, a API do
# Prefect); escreva seu código onde aparece `...`, execute a verificação e siga em frente
# quando ela passar. Cada marco tem uma dica; as soluções comentadas estão em
# `solutions/pt-BR/10_capstone_production.ipynb`.
#
# **Você vai aprender** a partir do que o registro de modelos guarda, e não das variáveis de
# um notebook; a servir um alias do registro via REST e mostrar qual servidor
# respondeu; um critério de promoção (gate) num fluxo do Prefect (o do próprio MLflow, como na
# lição 04), visto funcionando nos dois sentidos; a informar a pontuação de teste uma única vez, depois de todas as escolhas.
#
# **Tempo:** 45 minutos (cerca de 10 para ler, 2 para executar as células, 33 para os dois
# marcos: cerca de 10 para servir, mais de 20 para o fluxo e o seu critério de promoção).
# **Pré-requisitos:** 10 · Projeto final, parte 1 (ela deixa `capstone_precos@champion`); as
# lições 05 e 07 ensinam o serviço de modelos e os fluxos que esta parte usa.
#
# **No mapa** (lição 00): o servidor de modelos e o servidor Prefect em volta do registro.

# %%
import os

import lab_utils

lab = lab_utils.connect(language="pt_BR")
# O Prefect loga cada execução de fluxo e de tarefa no notebook; mantenha só os avisos
# (a variável é lida quando o Prefect é importado). Os logs completos ficam na página de
# cada execução de fluxo, na UI do Prefect.
os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "WARNING"
# Guarde o que cada execução de fluxo devolve (um arquivo pequeno na pasta do Prefect do lab):
# a verificação do Marco 4 lê de volta as respostas do próprio fluxo, não só a lista que você entrega.
os.environ["PREFECT_RESULTS_PERSIST_BY_DEFAULT"] = "true"

# %% tags=["parameters"]
experiment_name = "capstone"
model_name = "capstone_precos"

# %% [markdown]
# ## O campeão da parte 1, lido de volta
#
# Nada do notebook da parte 1 é necessário: os três conjuntos de casas são sempre os mesmos
# (a divisão usa uma semente fixa), e o campeão está no registro de modelos. O campeão da
# parte 1 é a versão mais nova de `capstone_precos` registrada a partir de uma execução
# (run) `capstone_search`. Se você executar esta parte de novo, o fluxo dela já terá movido
# `@champion` para uma versão retreinada: a célula aponta o alias de volta para o campeão
# da parte 1, para que o critério de promoção do Marco 4 encontre sempre o mesmo campeão. Só
# o alias se move; todas as versões continuam no registro de modelos.

# %%
import warnings

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.metrics import mean_squared_error

# Como na parte 1: o skops precisa ser instruído a confiar na classe da árvore, os requisitos
# do modelo são fixados (assim o `log_model` não os infere) e o aviso das colunas inteiras é
# silenciado.
TREE_TYPES = ["sklearn.tree._tree.Tree"]
REQUIREMENTS = mlflow.sklearn.get_default_pip_requirements(include_skops=True)
warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")

X_train, X_validation, X_test, y_train, y_validation, y_test = lab_utils.split_train_validation_test()
client = MlflowClient()
experiment = mlflow.set_experiment(experiment_name)


def validation_rmse(model) -> float:
    return float(np.sqrt(mean_squared_error(y_validation, model.predict(X_validation))))


search_run_ids = {run.info.run_id for run in client.search_runs(
    [experiment.experiment_id], "attributes.run_name = 'capstone_search'")}
from_search = [v for v in client.search_model_versions(f"name = '{model_name}'") if v.run_id in search_run_ids]
# Enquanto os Marcos 1 e 2 da parte 1 não estão feitos, nenhuma versão vem daquela busca: esta
# parte fica sem campeão para servir ou desafiar, e diz isso.
search_version = max(from_search, key=lambda v: int(v.version)) if from_search else None
if search_version is None:
    print("O campeão da parte 1 ainda não existe: nenhuma versão registrada vem de uma execução "
          "capstone_search. Conclua os Marcos 1 e 2 de 10 · Projeto final, parte 1, e execute esta "
          "parte desde o início.")
else:
    search_run_id = search_version.run_id
    client.set_registered_model_alias(model_name, "champion", search_version.version)
    lab_utils.assert_model_version(model_name, alias="champion")
    print(f"campeão da parte 1, versão {search_version.version}: "
          f"RMSE de validação {lab_utils.format_number(client.get_run(search_run_id).data.metrics['validation_rmse'])} CAD")

# %% [markdown]
# ## Marco 3 · Servido via REST
#
# Sirva `models:/capstone_precos@champion` com `lab_utils.ModelServer`, calcule o preço das
# vinte casas de `lab_utils.load_new_houses()` por `POST /invocations` com um corpo
# `dataframe_split`, pare o servidor e coloque a resposta de `requests.post` em
# `served_response`. (Iniciar o servidor leva alguns segundos: é um novo processo Python que
# baixa o modelo e o carrega.)

# %% tags=["exercise"]
served_response = ...  # seu código aqui

# %% tags=["solution"]
import requests

new_houses = lab_utils.load_new_houses()
server = lab_utils.ModelServer(f"models:/{model_name}@champion").start()
try:
    served_response = requests.post(f"{server.url}/invocations", timeout=60,
                                    json={"dataframe_split": new_houses.to_dict(orient="split", index=False)})
    served_response.raise_for_status()
finally:
    server.stop()

# %% [markdown]
# <details><summary>Dica</summary>
#
# `server = lab_utils.ModelServer("models:/capstone_precos@champion").start()`, depois
# `requests.post(f"{server.url}/invocations", json={"dataframe_split": houses.to_dict(orient="split", index=False)})`
# e `server.stop()` em um `finally:`.
#
# </details>

# %% tags=["check-exercise"]
if lab_utils.attempted(served_response, "Marco 3"):
    from lab_utils.grading import lesson_10_production
    lesson_10_production.check_milestone_3(served_response, model_name, experiment_name)

# %% [markdown]
# ## Marco 4 · Um fluxo que retreina e promove
#
# Escreva um fluxo do Prefect `retreinar_capstone(learning_rate: float) -> bool` que treine
# `GradientBoostingRegressor(n_estimators=100, max_depth=2, learning_rate=learning_rate,
# random_state=42)` em `X_train`, o logue em uma execução do MLflow (parâmetro
# `learning_rate`, métrica `validation_rmse`, modelo `model`), o registre como uma nova
# versão de `capstone_precos` e mova `@champion` para ela **somente se** o seu RMSE de
# validação for melhor que o do campeão atual. Ele devolve `True` quando promove. Compare à
# mão ou, melhor, com o critério do próprio MLflow, como na lição 04 (`mlflow.models.evaluate`
# nas casas de validação, depois `mlflow.validate_evaluation_results` com uma margem); a
# verificação aceita os dois.
#
# É preciso ver um critério de promoção funcionar nos dois sentidos. Execute o fluxo
# duas vezes, nesta ordem: `learning_rate=0.2` (deve superar o campeão e ser promovido),
# depois `learning_rate=0.1` (melhor que o campeão da parte 1, pior que o novo na validação:
# é registrado, mas `@champion` não pode se mover). Nas casas de teste, `learning_rate=0.1` pareceria o melhor
# dos dois: um critério que decidisse nelas o promoveria.
# Coloque os dois resultados, nessa ordem, na lista `promotions`. (Para executar os dois de
# novo, execute antes a célula que lê o campeão da parte 1: ela aponta `@champion` de volta
# para o modelo da busca.)

# %% tags=["exercise"]
promotions = ...  # seu código aqui

# %% tags=["solution"]
import logging

from mlflow.models import MetricThreshold
from mlflow.models.evaluation.validation import ModelValidationFailedException
from prefect import flow, task

# As linhas INFO do `evaluate` (o modelo logado a que liga as métricas, o tracing ligado) vêm quatro vezes por execução do fluxo: fique com os avisos.
for logger_name in ("mlflow.models.evaluation", "mlflow.tracking.fluent"):
    logging.getLogger(logger_name).setLevel(logging.WARNING)
validation_data = mlflow.data.from_pandas(X_validation.assign(price=y_validation), targets="price", name="validation")
# O critério da lição 04: um desafiante precisa baixar o RMSE de validação do campeão em pelo menos 2%.
GATE = {"root_mean_squared_error": MetricThreshold(min_relative_change=0.02, greater_is_better=False)}


@task
def treinar(learning_rate: float) -> tuple[str, str, float]:
    with mlflow.start_run(run_name=f"capstone_retrain_lr{learning_rate}") as run:
        model = GradientBoostingRegressor(n_estimators=100, max_depth=2, learning_rate=learning_rate,
                                          random_state=42).fit(X_train, y_train)
        rmse = validation_rmse(model)
        mlflow.log_param("learning_rate", learning_rate)
        mlflow.log_metric("validation_rmse", rmse)
        logged = mlflow.sklearn.log_model(model, name="model", input_example=X_train.head(3),
                                          skops_trusted_types=TREE_TYPES, pip_requirements=REQUIREMENTS)
    return run.info.run_id, logged.model_uri, rmse


def evaluate_on_validation(version: str):
    """Avalia uma versão do modelo nas casas de validação, numa execução própria."""
    source = client.get_model_version(model_name, version).source  # o modelo logado dela, models:/m-…
    with mlflow.start_run(run_name=f"capstone_gate_v{version}"):
        return mlflow.models.evaluate(source, validation_data, model_type="regressor",
                                      evaluator_config={"log_model_explainability": False})


@flow(name="retreinar-capstone")
def retreinar_capstone(learning_rate: float) -> bool:
    _, model_uri, _ = treinar(learning_rate)
    version = mlflow.register_model(model_uri, model_name).version
    champion = client.get_model_version_by_alias(model_name, "champion").version
    try:
        mlflow.validate_evaluation_results(GATE, evaluate_on_validation(version), evaluate_on_validation(champion))
    except ModelValidationFailedException:
        return False
    client.set_registered_model_alias(model_name, "champion", version)
    return True


promotions = [retreinar_capstone(learning_rate=0.2), retreinar_capstone(learning_rate=0.1)]

# %% [markdown]
# <details><summary>Dica</summary>
#
# No fluxo: `client.get_model_version_by_alias(model_name, "champion")` dá o campeão atual,
# e `client.get_run(<o run_id dele>).data.metrics["validation_rmse"]`, a pontuação dele; chame
# `client.set_registered_model_alias(...)` só quando o novo RMSE for menor. Com o critério do
# MLflow: `mlflow.models.evaluate("models:/capstone_precos/<versão>", <dados de validação>,
# model_type="regressor")` para cada um dos dois, depois
# `mlflow.validate_evaluation_results({"root_mean_squared_error": MetricThreshold(min_relative_change=0.02,
# greater_is_better=False)}, novo, campeao)`, que lança `ModelValidationFailedException` quando
# o novo não vence pela margem.
#
# </details>

# %% tags=["check-exercise"]
if lab_utils.attempted(promotions, "Marco 4"):
    from lab_utils.grading import lesson_10_production
    lesson_10_production.check_milestone_4(promotions, model_name, experiment_name)

# %% [markdown]
# ## A pontuação de teste, uma única vez
#
# Todas as escolhas estão feitas: a busca escolheu pela validação cruzada, o critério de
# promoção pela validação. Agora, e só agora, calcule a pontuação do `@champion` final nas casas
# de teste e logue-a na execução dele. Se as casas de teste tivessem decidido alguma
# coisa, este número favoreceria o modelo, como faz o RMSE de validação.

# %%
final = client.get_model_version_by_alias(model_name, "champion") if search_version else None
if final is None:
    print("Ainda sem RMSE de teste: ele vem depois dos Marcos 1 e 2 da parte 1 e, então, do Marco 4.")
elif final.version == search_version.version:
    print("@champion ainda é o campeão da parte 1: conclua primeiro o Marco 4 (o critério de promoção "
          "dele pode substituí-lo).")
else:
    final_model = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")
    test_rmse = float(np.sqrt(mean_squared_error(y_test, final_model.predict(X_test))))
    client.log_metric(final.run_id, "test_rmse", test_rmse)
    validation = client.get_run(final.run_id).data.metrics["validation_rmse"]
    print(f"@champion, versão {final.version}: RMSE de validação {lab_utils.format_number(validation)} CAD (usado na escolha), "
          f"RMSE de teste {lab_utils.format_number(test_rmse)} CAD (informado uma única vez)")

# %% [markdown]
# Um número, um sorteio de casas: o bootstrap da lição 02 pôs um intervalo de 95% de vários
# milhares de CAD em volta de um RMSE de teste nestas casas. Informe a pontuação de teste com
# isso em mente, e julgue o critério de promoção do Marco 4 do mesmo jeito — um desafiante que
# vence o RMSE de validação do campeão por algumas centenas de CAD não mostrou que é melhor,
# só que não é pior. A margem de 2% da solução (cerca de 300 CAD aqui) barra empates, não o
# ruído: uma margem do tamanho da dispersão entre folds da busca (cerca de 600 CAD) barraria
# também o modelo com `learning_rate=0.2` (a lição 04 experimenta uma).

# %% [markdown]
# ## Concluído
#
# Você levou um modelo por todo o ciclo de vida do MLflow em uma *stack* real (os serviços
# que trabalham juntos: servidor de rastreamento, armazenamento, Prefect): rastreado,
# comparado, registrado, documentado, servido, retreinado e promovido por um pipeline, com
# cada passo verificado nos servidores. Abra a UI do MLflow — o experimento (experiment)
# `capstone` e o modelo `capstone_precos` — e a UI do Prefect (`retreinar-capstone`) para
# ver tudo.

# %% [markdown]
# ## Depois da implantação
#
# Indicações, não uma lição: um modelo servido encontra dados que se afastam daqueles com que
# foi treinado. Logue o que ele recebe e o que ele responde (a requisição e a previsão, com a
# versão do modelo); compare as distribuições das entradas ao vivo com as das casas de treino
# (drift de dados); e calcule o erro real quando os preços de venda chegarem, como esta lição
# fez uma vez com as casas de teste. Ferramentas de código aberto fazem as comparações e os
# relatórios — [Evidently](https://docs.evidentlyai.com/) (relatórios e testes de drift, em
# inglês), [NannyML](https://nannyml.readthedocs.io/) (estima o desempenho de um modelo antes de
# os rótulos chegarem, em inglês) — e um fluxo de
# retreino como o do Marco 4 fecha o ciclo, promovendo só pelo critério de promoção. Para
# aplicações com LLM, o monitoramento de produção do próprio MLflow trabalha sobre traces
# (lição 11).

# %% [markdown]
# ## Resumo
#
# - Uma parte que começa pelo registro de modelos não precisa de nada do notebook anterior:
#   o alias nomeia o campeão, e a execução da versão guarda as pontuações dele.
# - `lab_utils.ModelServer` (`mlflow models serve`) serve `models:/<nome>@<alias>`;
#   `POST /invocations` com um corpo `dataframe_split` calcula o preço das casas, e o log do
#   servidor mostra qual servidor respondeu.
# - Um critério de promoção registra todo desafiante e move o alias só para uma pontuação
#   de validação melhor (o do próprio MLflow: `mlflow.models.evaluate`, depois
#   `mlflow.validate_evaluation_results` com uma margem em `MetricThreshold`); execute-o com um modelo melhor e depois com um pior para vê-lo
#   funcionar nos dois sentidos.
# - A pontuação de teste vem uma única vez, para o campeão final, depois de todas as
#   escolhas.
#
# ## Leitura complementar (em inglês)
#
# As páginas abaixo só existem em inglês.
#
# - [Documentação do MLflow](https://mlflow.org/docs/latest/)
# - [Modelos (Models)](https://mlflow.org/docs/latest/ml/model/)
# - [Registro de modelos (Model Registry)](https://mlflow.org/docs/latest/ml/model-registry/) — versões, aliases,
#   descrições
# - [Implantar um modelo como servidor de inferência local (deploy a model as a local inference server)](https://mlflow.org/docs/latest/ml/deployment/deploy-model-locally/)
#   — `mlflow models serve` e sua API REST
# - [Prefect: fluxos (flows)](https://docs.prefect.io/v3/concepts/flows)
#
# ## Verifique o que aprendeu
#
# 1. Por que o RMSE de teste só é calculado no fim, para o campeão final, e não para cada
#    desafiante do critério de promoção?
# 2. O Marco 4 executa o fluxo primeiro com um modelo melhor e depois com um pior. Que
#    critério de promoção errado passaria se só o modelo melhor fosse executado, e qual
#    passaria se só o pior fosse?
# 3. Por que o fluxo registra todo modelo retreinado, mesmo o que ele não promove?
# 4. Que servidor a verificação de cada marco lê, e o que um aluno poderia forjar se uma
#    verificação comparasse apenas variáveis locais?

# %% [markdown] tags=["solution"]
# 1. Toda pontuação usada para escolher é otimista: a escolha favorece o que por acaso foi
#    bem naquelas casas. As casas de teste, mantidas fora de todas as escolhas, dão a única
#    estimativa honesta, para o campeão final; se o critério de promoção comparasse os
#    desafiantes nelas, elas seriam um segundo conjunto de validação, tão otimista quanto o
#    primeiro.
# 2. Só o melhor: passaria um critério que sempre promove. Só o pior: passaria um critério
#    que nunca promove. Executados em ordem, cada critério errado deixa o campeão errado.
# 3. Assim o registro de modelos guarda cada candidato com a sua execução (parâmetros,
#    métricas, modelo), e um desafiante recusado pode ser inspecionado, comparado ou
#    promovido à mão mais tarde; quem decide é o alias, não o registro.
# 4. 3: o próprio log do servidor de modelos (a requisição chegou até ele) e o campeão do
#    registro (os preços); 4: a API do Prefect (as execuções do fluxo e seus parâmetros) e o
#    registro (as versões e `@champion`). Comparando com variáveis locais, um aluno poderia
#    digitar os valores esperados (um `True`, uma lista de preços) sem fazer o trabalho.

# %% [markdown]
# Próxima: **11 · Rastrear e avaliar um app de GenAI**, a outra metade do MLflow 3: traces,
# prompts e avaliações de um app de GenAI, no mesmo laboratório.
